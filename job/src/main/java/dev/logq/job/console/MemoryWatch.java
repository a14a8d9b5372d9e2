package dev.logq.job.console;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver JVM's peak resident memory (Linux's VmHWM, the high-water mark of its resident set) after every
 * stage, for metrics.json: which stage needed the memory, measured rather than estimated. In local mode the driver
 * JVM is also the executor, so this is the whole job's peak. Elsewhere (no /proc) it records nothing.
 */
public final class MemoryWatch {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
  private static final Map<String, Long> PEAK_AFTER_STAGE = new LinkedHashMap<>();

  private MemoryWatch() {}

  /**
   * Starts a run: forgets earlier stages and resets the kernel's high-water mark to the current resident set
   * (writing 5 to clear_refs does only that), so several runs in one JVM (tests, compare mode's callers) each
   * measure their own peak.
   */
  public static synchronized void start() {
    PEAK_AFTER_STAGE.clear();
    try {
      Files.writeString(CLEAR_REFS, "5");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not allowed: the peak then counts from the JVM's start
    }
  }

  /** Records the peak so far under the stage's name ("train", "train 2", ... when a name repeats). */
  static synchronized void stageEnded(String stage) {
    long peak = peakResidentBytes();
    if (peak < 0) {
      return;
    }
    String key = stage;
    for (int n = 2; PEAK_AFTER_STAGE.containsKey(key); n++) {
      key = stage + " " + n;
    }
    PEAK_AFTER_STAGE.put(key, peak);
  }

  /** VmHWM in bytes, or -1 where /proc/self/status is not readable. */
  public static long peakResidentBytes() {
    return statusField("VmHWM:");
  }

  /** VmRSS in bytes, or -1. */
  public static long residentBytes() {
    return statusField("VmRSS:");
  }

  private static long statusField(String field) {
    try {
      List<String> lines = Files.readAllLines(STATUS, StandardCharsets.US_ASCII);
      for (String line : lines) {
        if (line.startsWith(field)) {
          String[] parts = line.substring(field.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024L; // the kernel writes kB
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  /** metrics.json's "memory": the peak resident bytes after each stage and overall, and the JVM's heap limit. */
  public static synchronized Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("peak_resident_bytes", peakResidentBytes());
    m.put("heap_max_bytes", Runtime.getRuntime().maxMemory());
    m.put("peak_resident_bytes_after_stage", new LinkedHashMap<>(PEAK_AFTER_STAGE));
    return m;
  }
}
