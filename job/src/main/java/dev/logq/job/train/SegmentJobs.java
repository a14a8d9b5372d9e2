package dev.logq.job.train;

import dev.logq.common.error.LogqException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver side of a segment backend (collective): one barrier-mode job per segment between checkpoints
 * needs every worker's task slot at once, a checkpoint directory (a scratch one in local mode), and a rerun of the whole segment when it fails (Spark never retries a failed barrier result stage).
 */
final class SegmentJobs {

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private SegmentJobs() {}

  /** Fails unless Spark can run all train.workers tasks of a barrier job at once. */
  static void requireSlots(SyncContext ctx, String backend) {
    int workers = ctx.plan().workers();
    int slots = SyncBackendChoice.taskSlots(ctx.sc().sc());
    if (slots < workers) {
      throw new IllegalArgumentException("train.syncBackend=" + backend + " runs all " + workers + " workers at once,"
          + " but Spark has only " + slots + " task slots; lower train.workers or use rounds (or auto)");
    }
  }

  /** The end of the segment that starts at round {@code r} of the epoch: the epoch's end or the next checkpoint. */
  static int segmentEnd(TrainingPlan plan, int r, int roundsPerEpoch, long round) {
    int end = roundsPerEpoch;
    if (plan.checkpointEverySteps() > 0) {
      end = (int) Math.min(end, r + (plan.checkpointEverySteps() - round % plan.checkpointEverySteps()));
    }
    return end;
  }

  /**
   * Runs {@code attempt} (given the attempt number) until it returns, rerunning a failed segment up to
   * {@link DistributedTrainer#SEGMENT_ATTEMPTS} times; a {@link LogqException} (bad input) is not retried, nor is
   * anything once the SparkContext is stopped (the driver is shutting down: a rerun could only fail again).
   */
  static <T> List<T> withReruns(SparkContext sc, String what, int epoch, int r, int end, String from,
                                IntFunction<List<T>> attempt) {
    for (int a = 0; ; a++) {
      try {
        return attempt.apply(a);
      } catch (Exception e) { // SparkException is checked, though collect() does not declare it
        if (a + 1 >= DistributedTrainer.SEGMENT_ATTEMPTS || LogqException.find(e) != null || sc.isStopped()
            || cancelled(e)) {
          throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
        }
        LOG.warn("{} segment (epoch {}, rounds {}-{}) failed on attempt {} of {}; rerunning it from {}: {}",
            what, epoch + 1, r + 1, end, a + 1, DistributedTrainer.SEGMENT_ATTEMPTS, from, firstLine(e.getMessage()));
      }
    }
  }

  /** Whether Spark cancelled the job (its job group, or the job itself): someone stopped it, a rerun would not help. */
  static boolean cancelled(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && CANCELLED.matcher(t.getMessage()).find()) {
        return true;
      }
    }
    return false;
  }

  /** DAGScheduler's "Job 134 cancelled part of cancelled job group ..." and "Job 12 cancelled because ...". */
  private static final java.util.regex.Pattern CANCELLED = java.util.regex.Pattern.compile("^Job \\d+ cancelled ");

  /** Spark's job-abort messages carry the failed task's whole stack trace: the log line keeps its first line. */
  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** The segments' checkpoint directory: the run's, or (local mode only) a scratch one deleted by {@link #close}. */
  static final class Directory {
    final String uri;
    private final Path scratch;

    Directory(SyncContext ctx, String backend) {
      if (ctx.checkpointDir() != null) {
        this.uri = ctx.checkpointDir();
        this.scratch = null;
        return;
      }
      if (!ctx.sc().master().startsWith("local")) {
        throw new IllegalArgumentException("train.syncBackend=" + backend + " needs a checkpoint directory on a cluster");
      }
      try {
        this.scratch = Files.createTempDirectory("logq-" + backend + "-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.uri = scratch.toUri().toString();
    }

    void close() {
      if (scratch == null) {
        return;
      }
      try (var files = Files.walk(scratch)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        LOG.warn("Could not delete {}: {}", scratch, e.getMessage());
      }
    }
  }
}
