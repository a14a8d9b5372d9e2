package dev.logq.job.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The test hooks of both synchronisation backends.
 *
 * <p>Failure: "round:partition" makes the first attempt of that worker's round fail (Spark, or the driver for a
 * collective segment, must rerun it and get the same bits); "round:partition:always" fails every attempt. Set
 * through {@link DistributedTrainer#withFailureInjection}.
 *
 * <p>Stall: the environment variable {@value #STALL_ENV} = "round:partition:directory" makes the first attempt
 * of that worker's round (once: the marker below is also the record that it stalled) write its JVM's process id to {@code directory/stalled-round-<round>-partition-<p>.pid}
 * and wait there, so that a test can {@code kill -9} that executor (or the driver) at a known point in the middle
 * of an epoch (StandaloneClusterIT; Spark passes it to executors as {@code spark.executorEnv.LOGQ_TEST_STALL}).
 * Nobody sets it in production; a stall that nobody ends fails the task after {@link #STALL_MILLIS}.
 */
final class FailureInjection {

  static final String STALL_ENV = "LOGQ_TEST_STALL";
  static final long STALL_MILLIS = 180_000;

  private FailureInjection() {}

  /** Throws when {@code spec} names this round and partition and the attempt is one it fails. */
  static void maybeFail(String spec, long round, int partition, boolean firstAttempt) {
    maybeStall(System.getenv(STALL_ENV), round, partition, firstAttempt);
    if (spec == null || spec.isEmpty()) {
      return;
    }
    String[] parts = spec.split(":");
    boolean always = parts.length > 2 && parts[2].equals("always");
    if (Long.parseLong(parts[0]) == round && Integer.parseInt(parts[1]) == partition && (always || firstAttempt)) {
      throw new IllegalStateException("Injected failure in round " + round + ", partition " + partition
          + (always ? " (every attempt)" : " (first attempt only)"));
    }
  }

  static void maybeStall(String spec, long round, int partition, boolean firstAttempt) {
    if (spec == null || spec.isEmpty() || !firstAttempt) {
      return;
    }
    String[] parts = spec.split(":", 3);
    if (parts.length != 3 || Long.parseLong(parts[0]) != round || Integer.parseInt(parts[1]) != partition) {
      return;
    }
    Path dir = Path.of(parts[2]);
    Path marker = dir.resolve("stalled-round-" + round + "-partition-" + partition + ".pid");
    if (Files.exists(marker)) {
      return; // stalls once: a resubmitted stage's tasks count their attempts from 0 again
    }
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".stall", ".tmp");
      Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
      Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Thread.sleep(STALL_MILLIS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("stall in round " + round + ", partition " + partition + " interrupted", e);
    }
    throw new IllegalStateException(STALL_ENV + ": nobody killed the stalled round " + round + ", partition "
        + partition + " within " + STALL_MILLIS + " ms");
  }
}
