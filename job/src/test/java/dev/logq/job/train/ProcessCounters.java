package dev.logq.job.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a process has used so far, read from Linux: CPU time (/proc/PID/stat: utime + stime) and the bytes
 * its TCP sockets have sent and received (ss -tinp: the kernel's tcp_info per socket). Differences of two
 * snapshots give the use in between. A socket opened and closed between the snapshots is not seen (Spark and
 * the collective backend keep their connections open, so little is missed), and loopback bytes are counted on
 * both ends, once per process.
 */
final class ProcessCounters {

  /** USER_HZ, the unit of utime and stime (getconf CLK_TCK is 100 on Linux/x86-64). */
  private static final long TICKS_PER_SECOND = 100;

  /**
   * @param ioBytes  rchar + wchar of /proc/PID/io: bytes through read and write system calls, sockets and files
   * @param threads  CPU time by thread id, with the thread's name (/proc/PID/task/TID/stat); empty for self
   */
  record Snapshot(long cpuNanos, Map<String, long[]> sockets, long ioBytes, Map<Long, ThreadCpu> threads) {

    /** I/O bytes between {@code earlier} and this snapshot. */
    long ioBytesSince(Snapshot earlier) {
      return ioBytes - earlier.ioBytes;
    }

    /**
     * CPU time between the snapshots by thread category ({@link #category}); threads that exited in between
     * count as "exited" (the process's time minus that of the threads alive at the end).
     */
    Map<String, Long> cpuByCategorySince(Snapshot earlier) {
      Map<String, Long> out = new java.util.TreeMap<>();
      long alive = 0;
      for (var e : threads.entrySet()) {
        ThreadCpu before = earlier.threads.get(e.getKey());
        long used = e.getValue().cpuNanos() - (before == null ? 0 : before.cpuNanos());
        alive += used;
        out.merge(category(e.getValue().name()), used, Long::sum);
      }
      out.put("exited", cpuSince(earlier) - alive);
      return out;
    }

    /** CPU time between {@code earlier} and this snapshot. */
    long cpuSince(Snapshot earlier) {
      return cpuNanos - earlier.cpuNanos;
    }

    /** Bytes sent + received on the process's TCP sockets between {@code earlier} and this snapshot. */
    long tcpBytesSince(Snapshot earlier) {
      long total = 0;
      for (var e : sockets.entrySet()) {
        long[] before = earlier.sockets.getOrDefault(e.getKey(), new long[2]);
        total += Math.max(0, e.getValue()[0] - before[0]) + Math.max(0, e.getValue()[1] - before[1]);
      }
      return total;
    }
  }

  record ThreadCpu(String name, long cpuNanos) {}

  private ProcessCounters() {}

  /** task (Spark's task threads), peer-io (the collective's Netty threads), gc, jit, or other (Spark's RPC, ...). */
  static String category(String threadName) {
    if (threadName.startsWith("Executor task")) {
      return "task";
    }
    if (threadName.startsWith("logq-peer")) {
      return "peer-io";
    }
    if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ") || threadName.startsWith("VM Thread")) {
      return "gc";
    }
    if (threadName.startsWith("C1 Compiler") || threadName.startsWith("C2 Compiler")) {
      return "jit";
    }
    return "other";
  }

  /** This JVM: its process CPU time from the JVM (nanosecond resolution), its sockets from ss. */
  static Snapshot self(Map<Long, Map<String, long[]>> sockets) {
    long cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    long pid = ProcessHandle.current().pid();
    return new Snapshot(cpu, sockets.getOrDefault(pid, Map.of()), io(pid), Map.of());
  }

  static Snapshot of(long pid, Map<Long, Map<String, long[]>> sockets) throws IOException {
    Path proc = Path.of("/proc", Long.toString(pid));
    Map<Long, ThreadCpu> threads = new HashMap<>();
    try (var tasks = Files.list(proc.resolve("task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          threads.put(Long.parseLong(task.getFileName().toString()), new ThreadCpu(name, cpuOfStat(stat)));
        } catch (IOException e) {
          // the thread exited while being listed: its time shows up as "exited"
        }
      }
    }
    return new Snapshot(cpuOfStat(Files.readString(proc.resolve("stat"))), sockets.getOrDefault(pid, Map.of()),
        io(pid), threads);
  }

  /** utime + stime of a /proc stat line, in nanoseconds. */
  private static long cpuOfStat(String stat) {
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * (1_000_000_000L / TICKS_PER_SECOND);
  }

  private static long io(long pid) {
    try {
      long bytes = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
        if (line.startsWith("rchar:") || line.startsWith("wchar:")) {
          bytes += Long.parseLong(line.substring(6).trim());
        }
      }
      return bytes;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Every TCP socket's {bytes_sent, bytes_received}, by owning pid and then by local and peer address. */
  static Map<Long, Map<String, long[]>> tcpSockets() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ss", "-tinpH").redirectErrorStream(true).start();
    List<String> lines;
    try (var in = p.getInputStream()) {
      lines = new String(in.readAllBytes()).lines().toList();
    }
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("ss -tinpH failed: " + String.join("\n", lines));
    }
    Map<Long, Map<String, long[]>> out = new HashMap<>();
    String[] header = null;
    for (String line : lines) {
      if (!line.startsWith("\t") && !line.startsWith(" ")) {
        header = line.trim().split("\\s+");
        continue;
      }
      if (header == null || header.length < 6) {
        continue;
      }
      long[] bytes = {field(line, "bytes_sent:"), field(line, "bytes_received:")};
      String key = header[3] + ">" + header[4];
      String users = header[5];
      for (int at = users.indexOf("pid="); at >= 0; at = users.indexOf("pid=", at + 4)) {
        int end = at + 4;
        while (end < users.length() && Character.isDigit(users.charAt(end))) {
          end++;
        }
        out.computeIfAbsent(Long.parseLong(users.substring(at + 4, end)), k -> new HashMap<>()).put(key, bytes);
      }
      header = null;
    }
    return out;
  }

  private static long field(String line, String name) {
    int at = line.indexOf(name);
    if (at < 0) {
      return 0;
    }
    int end = at + name.length();
    while (end < line.length() && Character.isDigit(line.charAt(end))) {
      end++;
    }
    return Long.parseLong(line.substring(at + name.length(), end));
  }
}
