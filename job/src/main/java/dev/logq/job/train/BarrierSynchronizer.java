package dev.logq.job.train;

import dev.logq.common.error.LogqException;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The barrier backend's driver (train.syncBackend = barrier): one barrier-mode job per segment between
 * checkpoints, see {@link BarrierWorker}. The driver holds no model during training: worker 0 writes the
 * checkpoint that ends each segment and the driver completes it with the training position.
 */
final class BarrierSynchronizer implements Synchronizer {

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  private static final ClassTag<BarrierWorker.SegmentResult> RESULT = ClassTag$.MODULE$.apply(
      BarrierWorker.SegmentResult.class);

  private final SyncContext ctx;
  private final String dir;
  private final Path scratch;
  private String base;
  private BarrierWorker.SegmentResult last;
  private double wallMillis;
  private double computeMillis;
  private double exchangeMillis;
  private double patchBytes;
  private long roundsRun;

  BarrierSynchronizer(SyncContext ctx, String base) {
    this.ctx = ctx;
    this.base = base;
    TrainingPlan plan = ctx.plan();
    if (ctx.sc().defaultParallelism() < plan.workers()) {
      throw new IllegalArgumentException("train.syncBackend=barrier runs all " + plan.workers() + " workers at once,"
          + " but Spark has only " + ctx.sc().defaultParallelism() + " task slots; lower train.workers or use rounds");
    }
    if (ctx.checkpointDir() != null) {
      this.dir = ctx.checkpointDir();
      this.scratch = null;
    } else {
      if (!ctx.sc().master().startsWith("local")) {
        throw new IllegalArgumentException("train.syncBackend=barrier needs a checkpoint directory on a cluster");
      }
      try {
        this.scratch = Files.createTempDirectory("logq-barrier-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.dir = scratch.toUri().toString();
    }
  }

  @Override
  public Segment run(int epoch, int r, int roundsPerEpoch, long round) {
    TrainingPlan plan = ctx.plan();
    int end = roundsPerEpoch;
    if (plan.checkpointEverySteps() > 0) {
      end = (int) Math.min(end, r + (plan.checkpointEverySteps() - round % plan.checkpointEverySteps()));
    }
    ctx.sc().setJobGroup("logq-train", String.format("epoch %d/%d, rounds %d-%d of %d (barrier)", epoch + 1,
        plan.epochs(), r + 1, end, roundsPerEpoch), false);
    long t0 = System.nanoTime();
    List<BarrierWorker.SegmentResult> results = null;
    // Spark never retries a failed barrier result stage, so the driver reruns the segment: every
    // worker rebuilds its replica from the segment's checkpoint and the rerun gives the same bits.
    for (int attempt = 0; results == null; attempt++) {
      BarrierWorker.SegmentTask task = new BarrierWorker.SegmentTask(plan, ctx.runId(), epoch, r, end, round, base,
          dir, ctx.logQ(), ctx.failureInjection(), attempt);
      try {
        results = new JavaRDD<>(ctx.shards().rdd().barrier().mapPartitions(new BarrierWorker.Segment(task), false,
            RESULT), RESULT).collect();
      } catch (Exception e) { // SparkException is checked, though collect() does not declare it
        if (attempt + 1 >= DistributedTrainer.BARRIER_ATTEMPTS || LogqException.find(e) != null) {
          throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
        }
        LOG.warn("Barrier segment (epoch {}, rounds {}-{}) failed on attempt {}; rerunning it from its checkpoint:"
            + " {}", epoch + 1, r + 1, end, attempt + 1, e.getMessage());
      }
    }
    long t1 = System.nanoTime();
    BarrierWorker.SegmentResult first = results.get(0);
    roundsRun += end - r;
    wallMillis += (t1 - t0) / 1e6;
    computeMillis += results.stream().mapToLong(x -> x.computeNanos).max().orElse(0) / 1e6;
    exchangeMillis += results.stream().mapToLong(x -> x.exchangeNanos).max().orElse(0) / 1e6;
    patchBytes += first.patchBytes;
    last = first;
    return new Segment(r, end, first.version, first.lossSum, first.examples, true);
  }

  /** Every segment ends in a checkpoint (worker 0 wrote the model; the driver adds the position). */
  @Override
  public void afterSegment(Segment segment, int roundsPerEpoch, EpochProgress progress) {
    Checkpoints.complete(last.checkpoint, progress.stateAfter(segment.version(), segment.end()), ctx.hadoopConf());
    Checkpoints.pruneOlderThan(dir, last.checkpoint, ctx.hadoopConf());
    base = last.checkpoint;
  }

  @Override
  public TensorStore finalParams() {
    return base == null ? TwoTowerModel.initialParameters(ctx.plan().model())
        : Checkpoints.read(base, ctx.hadoopConf(), false).params();
  }

  @Override
  public DistributedTrainer.SyncStats stats() {
    long n = Math.max(1, roundsRun);
    DistributedTrainer.SyncStats stats = new DistributedTrainer.SyncStats(roundsRun, wallMillis / n,
        computeMillis / n, (computeMillis + exchangeMillis) / n, 0.0, (wallMillis - computeMillis) / n,
        patchBytes / n / 1024.0);
    LOG.info("Synchronisation (barrier): {} rounds, {} ms per round: gradient {} ms, allGather {} ms; patch {} KiB",
        stats.rounds(), RoundsSynchronizer.fmt(stats.meanRoundMillis()),
        RoundsSynchronizer.fmt(stats.meanWorkerComputeMillis()), RoundsSynchronizer.fmt(exchangeMillis / n),
        RoundsSynchronizer.fmt(stats.meanPatchKilobytes()));
    return stats;
  }

  @Override
  public void close() {
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
