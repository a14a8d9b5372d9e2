package dev.logq.job.train;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The calling thread's CPU time, for the per-round statistics: wall time on a shared or oversubscribed machine
 * includes waiting for a core, the thread's CPU time does not. 0 where the JVM cannot measure it.
 */
final class ThreadCpu {

  private static final ThreadMXBean BEAN = ManagementFactory.getThreadMXBean();
  private static final boolean SUPPORTED = BEAN.isCurrentThreadCpuTimeSupported();

  private ThreadCpu() {}

  /** Nanoseconds of CPU this thread has used (user + system). */
  static long now() {
    return SUPPORTED ? BEAN.getCurrentThreadCpuTime() : 0;
  }
}
