package dev.logq.job.train;

import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
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
  private final SegmentJobs.Directory dir;
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
    SegmentJobs.requireSlots(ctx, "barrier");
    this.dir = new SegmentJobs.Directory(ctx, "barrier");
  }

  @Override
  public Segment run(int epoch, int r, int roundsPerEpoch, long round) {
    TrainingPlan plan = ctx.plan();
    int end = SegmentJobs.segmentEnd(plan, r, roundsPerEpoch, round);
    ctx.sc().setJobGroup("logq-train", String.format("epoch %d/%d, rounds %d-%d of %d (barrier)", epoch + 1,
        plan.epochs(), r + 1, end, roundsPerEpoch), false);
    long t0 = System.nanoTime();
    // Spark never retries a failed barrier result stage, so the driver reruns the segment: every
    // worker rebuilds its replica from the segment's checkpoint and the rerun gives the same bits.
    List<BarrierWorker.SegmentResult> results = SegmentJobs.withReruns("Barrier", epoch, r, end, attempt -> {
      BarrierWorker.SegmentTask task = new BarrierWorker.SegmentTask(plan, ctx.runId(), epoch, r, end, round, base,
          dir.uri, ctx.logQ(), ctx.failureInjection(), attempt);
      return new JavaRDD<>(ctx.shards().rdd().barrier().mapPartitions(new BarrierWorker.Segment(task), false,
          RESULT), RESULT).collect();
    });
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
    Checkpoints.pruneOlderThan(dir.uri, last.checkpoint, ctx.hadoopConf());
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
    dir.close();
  }
}
