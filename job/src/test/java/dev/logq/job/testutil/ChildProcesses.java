package dev.logq.job.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * JVMs and scripts a test starts: every one is registered, killed with its descendants (a Spark worker's
 * executors, a script's java) when the test closes it, and killed on JVM exit if the test never got
 * there (a timeout, a crash, Ctrl-C).
 */
public final class ChildProcesses {

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::killAll, "kill-test-child-processes"));
  }

  private ChildProcesses() {}

  /** Starts the command with stdout and stderr going to {@code log}. */
  public static Process start(ProcessBuilder builder, Path log) throws IOException {
    Files.createDirectories(log.getParent());
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = builder.start();
    LIVE.add(p);
    return p;
  }

  /** The java command of this JVM's runtime with {@code flags}, a class path and a main class. */
  public static List<String> java(List<String> flags, String classPath, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(flags);
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Waits for the process to exit and returns its exit code; past the timeout it is killed and the
   * test fails, naming what ran and the end of its log.
   */
  public static int await(Process p, Duration timeout, String what, Path log) throws InterruptedException {
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      kill(p);
      throw new AssertionError(what + " did not finish within " + timeout + "; killed. End of " + log + ":\n"
          + tail(log, 60));
    }
    LIVE.remove(p);
    return p.exitValue();
  }

  /**
   * Stops the process and everything it started: SIGTERM first (a Spark worker's shutdown hook then
   * stops its executors), SIGKILL after a grace period, then any descendant still alive.
   */
  public static void kill(Process p) {
    List<ProcessHandle> descendants = p.descendants().toList(); // before the parent is gone
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle h : descendants) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    LIVE.remove(p);
  }

  public static void killAll() {
    for (Process p : List.copyOf(LIVE)) {
      kill(p);
    }
  }

  /** The last {@code lines} lines of a log file ("" when it does not exist). */
  public static String tail(Path log, int lines) {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** The whole log as a string ("" when it does not exist or cannot be read yet). */
  public static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }
}
