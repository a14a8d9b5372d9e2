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
 * The collective backend's driver (train.syncBackend = collective): one barrier-mode job per segment between
 * checkpoints, see {@link CollectiveWorker}. The driver only schedules: it carries no gradients, holds no model
 * during training and does no optimizer step; the workers write the checkpoint ending each segment shard by
 * shard and the driver completes it with the training position. A failed segment is rerun from its checkpoint.
 */
final class CollectiveSynchronizer implements Synchronizer {

  /** Its lines in train.syncBackend's documentation. */
  static final String DOC = """
      collective: one barrier-mode job per checkpoint segment, workers exchange directly (each row's
      owner sums its gradients and steps it, and sends each worker the current values of the rows its
      next step reads), the driver carries no gradients and the workers write the checkpoints shard
      by shard; needs train.workers <= available task slots and, on a cluster,
      spark.dynamicAllocation.enabled=false (Spark runs no barrier jobs with it; it replaced the
      earlier barrier backend).""";

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  private static final ClassTag<CollectiveWorker.SegmentResult> RESULT = ClassTag$.MODULE$.apply(
      CollectiveWorker.SegmentResult.class);
  /** How long a worker waits for a peer's message before it fails the segment naming that peer. */
  private static final long RECEIVE_TIMEOUT_MILLIS = 120_000;

  private final SyncContext ctx;
  private final SegmentJobs.Directory dir;
  private volatile String base;
  private String pending;
  private double skewMillis;
  private final EpochCosts epochCosts = new EpochCosts();
  private double exchangeMillis;
  private double setupMillis;
  private double checkpointMillis;
  private double changedBytes;
  private double sentBytes;
  private double computeCpuMillis;
  private double exchangeCpuMillis;
  private long roundsRun;
  private long segments;
  private EpochProgress progress;

  CollectiveSynchronizer(SyncContext ctx, String base) {
    this.ctx = ctx;
    this.base = base;
    SegmentJobs.requireSlots(ctx, "collective");
    this.dir = new SegmentJobs.Directory(ctx, "collective");
  }

  @Override
  public String recoveryPoint() {
    String from = base;
    return "the running segment fails and reruns on every worker from " + (from == null
        ? "the initial parameters" : "checkpoint " + from);
  }

  @Override
  public void showProgressIn(EpochProgress progress) {
    this.progress = progress;
  }

  @Override
  public Segment run(int epoch, int r, int roundsPerEpoch, long round) {
    TrainingPlan plan = ctx.plan();
    int end = SegmentJobs.segmentEnd(plan, r, roundsPerEpoch, round);
    String checkpoint = Checkpoints.pathFor(dir.uri, round + (end - r));
    ctx.sc().setJobGroup("logq-train", String.format("epoch %d/%d, rounds %d-%d of %d (collective)", epoch + 1,
        plan.epochs(), r + 1, end, roundsPerEpoch), false);
    long t0 = System.nanoTime();
    // Spark never retries a failed barrier result stage, so the driver reruns the segment: every worker
    // rebuilds its model from the segment's checkpoint and the rerun gives the same bits.
    String from = base == null ? "the initial parameters" : base;
    List<CollectiveWorker.SegmentResult> results = SegmentJobs.withReruns(ctx.sc().sc(), "Collective", epoch, r, end,
        from, attempt -> {
      Checkpoints.discard(checkpoint, ctx.hadoopConf()); // shards a failed attempt may have left
      EpochProgress shown = progress;
      try (SegmentProgress watched = SegmentProgress.watch(ctx.sc().sc(), (done, examples, loss) -> {
        if (shown != null) {
          shown.showInSegment(r, done, examples, loss);
        }
      })) {
        CollectiveWorker.SegmentTask task = new CollectiveWorker.SegmentTask(plan, ctx.runId(), epoch, r, end, round,
            base, checkpoint, ctx.logQ(), ctx.failureInjection(), attempt, RECEIVE_TIMEOUT_MILLIS,
            watched.counters(), CollectiveWorker.pullByDefault());
        return new JavaRDD<>(ctx.shards().rdd().barrier().mapPartitions(new CollectiveWorker.Segment(task), false,
            RESULT), RESULT).collect();
      }
    });
    long t1 = System.nanoTime();
    for (int a = 0; a < DistributedTrainer.SEGMENT_ATTEMPTS; a++) {
      Checkpoints.discard(CollectiveWorker.rendezvousDir(checkpoint, a), ctx.hadoopConf());
    }
    CollectiveWorker.SegmentResult first = results.get(0);
    for (CollectiveWorker.SegmentResult x : results) {
      if (x.version != first.version || x.examples != first.examples
          || !java.util.Arrays.equals(x.roundLossSums, first.roundLossSums)) {
        throw new IllegalStateException("collective workers disagree at the end of a segment: worker "
            + x.partition + " is at version " + x.version + " with " + x.examples + " examples, worker 0 at "
            + first.version + " with " + first.examples);
      }
    }
    roundsRun += end - r;
    segments++;
    // The round's critical path: per round the slowest worker's gradient and the slowest owner's step (as the
    // rounds backend counts its per-round tasks); the gradients' spread is the time the faster workers wait.
    double segmentGradient = 0;
    double segmentStep = 0;
    for (int k = 0; k < end - r; k++) {
      long slowest = 0;
      long fastest = Long.MAX_VALUE;
      long slowestStep = 0;
      for (CollectiveWorker.SegmentResult x : results) {
        slowest = Math.max(slowest, x.roundGradientNanos[k]);
        fastest = Math.min(fastest, x.roundGradientNanos[k]);
        slowestStep = Math.max(slowestStep, x.roundStepNanos[k]);
      }
      segmentGradient += slowest / 1e6;
      skewMillis += (slowest - fastest) / 1e6;
      segmentStep += slowestStep / 1e6;
    }
    epochCosts.add(epoch, end - r, (t1 - t0) / 1e6, segmentGradient, segmentStep,
        results.stream().mapToLong(x -> x.loopNanos).max().orElse(0) / 1e6);
    exchangeMillis += results.stream().mapToLong(x -> x.exchangeNanos).max().orElse(0) / 1e6;
    setupMillis += results.stream().mapToLong(x -> x.setupNanos).max().orElse(0) / 1e6;
    checkpointMillis += results.stream().mapToLong(x -> x.checkpointNanos).max().orElse(0) / 1e6;
    changedBytes += first.changedValues;
    sentBytes += results.stream().mapToLong(x -> x.sentBytes).sum() / (double) results.size();
    computeCpuMillis += results.stream().mapToLong(x -> x.computeCpuNanos).average().orElse(0) / 1e6;
    exchangeCpuMillis += results.stream().mapToLong(x -> x.exchangeCpuNanos).average().orElse(0) / 1e6;
    pending = checkpoint;
    return new Segment(r, end, first.version, first.lossSum, first.examples, true, first.roundLossSums);
  }

  /** Every segment ends in a checkpoint (the workers wrote their shards; the driver adds the position). */
  @Override
  public void afterSegment(Segment segment, int roundsPerEpoch, EpochProgress progress) {
    Checkpoints.complete(pending, progress.stateAfter(segment.version(), segment.end()), ctx.hadoopConf());
    Checkpoints.pruneOlderThan(dir.uri, pending, ctx.hadoopConf());
    base = pending;
  }

  @Override
  public TensorStore finalParams() {
    return base == null ? TwoTowerModel.initialParameters(ctx.plan().model())
        : Checkpoints.read(base, ctx.hadoopConf(), false).params();
  }

  /**
   * Per round: the wall time (the driver's, segment jobs included), the slowest worker's gradient and the slowest
   * owner's step in that round; the "task" time is the slowest worker's round loop (gradient + exchange), the
   * overhead everything but the gradient.
   */
  @Override
  public DistributedTrainer.SyncStats stats() {
    long n = Math.max(1, roundsRun);
    double wallMillis = epochCosts.wallMillis();
    double computeMillis = epochCosts.gradientMillis();
    double loopMillis = epochCosts.loopMillis();
    DistributedTrainer.SyncStats stats = new DistributedTrainer.SyncStats(DistributedTrainer.COLLECTIVE, roundsRun, wallMillis / n,
        computeMillis / n, loopMillis / n, 0.0, (wallMillis - computeMillis) / n, changedBytes / n / 1024.0,
        computeCpuMillis / n, exchangeCpuMillis / n, sentBytes / n / 1024.0, epochCosts.stepMillis() / n,
        epochCosts.epochs());
    LOG.info("Synchronisation (collective): {} rounds in {} segments, {} ms per round (driver wall): gradient {}"
            + " ms (slowest worker's; fastest {} ms less), owner's step {} ms, non-compute {} %; exchange {} ms"
            + " (in-task round loop {} ms), worker CPU: gradient {} ms, exchange {} ms; per segment: rendezvous and"
            + " model {} ms, shard checkpoint {} ms; changed values {} KiB, sent {} KiB per worker and round",
        stats.rounds(), segments, RoundsSynchronizer.fmt(stats.meanRoundMillis()),
        RoundsSynchronizer.fmt(stats.meanWorkerComputeMillis()), RoundsSynchronizer.fmt(skewMillis / n),
        RoundsSynchronizer.fmt(stats.meanOptimizerStepMillis()), RoundsSynchronizer.fmt(100 * stats.nonComputeShare()),
        RoundsSynchronizer.fmt(exchangeMillis / n),
        RoundsSynchronizer.fmt(loopMillis / n),
        RoundsSynchronizer.fmt(stats.meanWorkerComputeCpuMillis()),
        RoundsSynchronizer.fmt(stats.meanWorkerSyncCpuMillis()),
        RoundsSynchronizer.fmt(setupMillis / Math.max(1, segments)),
        RoundsSynchronizer.fmt(checkpointMillis / Math.max(1, segments)),
        RoundsSynchronizer.fmt(stats.meanPatchKilobytes()), RoundsSynchronizer.fmt(sentBytes / n / 1024.0));
    return stats;
  }

  @Override
  public void close() {
    dir.close();
  }
}
