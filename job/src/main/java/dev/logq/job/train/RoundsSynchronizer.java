package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rounds backend (train.syncBackend = rounds): one Spark job per round, see {@link DistributedTrainer}
 * for the communication pattern. The driver holds the master model and the optimizer state, sums the
 * workers' results in partition order, steps the optimizer and broadcasts the patch of changed rows;
 * the patches since the last checkpoint stay broadcast so a lost replica can be rebuilt.
 */
final class RoundsSynchronizer implements Synchronizer {

  /** Its lines in train.syncBackend's documentation. */
  static final String DOC = """
      rounds: one Spark job per round, the driver averages and broadcasts the changed rows (works with
      any number of executor slots).""";

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private final SyncContext ctx;
  private final TensorStore master;
  private final TensorStore state;
  private final Optimizer optimizer;
  private final List<Broadcast<byte[]>> patches = new ArrayList<>();
  private volatile String base;
  private volatile int pendingPatches;
  private long baseVersion;
  private long pendingPatchBytes;
  private double taskMillis;
  private double updateMillis;
  private final EpochCosts epochCosts = new EpochCosts();
  private double patchBytes;
  private double computeCpuMillis;
  private double syncCpuMillis;
  private double sentBytes;
  private long roundsRun;
  /** Global negatives: the next round's global batch, as the last round's workers reported it. */
  private GlobalRound nextGlobal;
  private long globalBatchJobs;

  RoundsSynchronizer(SyncContext ctx, TensorStore master, TensorStore state, String base, long baseVersion) {
    this.ctx = ctx;
    this.master = master;
    this.state = state;
    this.optimizer = ctx.plan().optimizer();
    this.base = base;
    this.baseVersion = baseVersion;
  }

  @Override
  public String recoveryPoint() {
    int n = pendingPatches;
    return "the failed tasks rerun on the remaining executors, which bring their model replica to the current"
        + " round from " + (base == null ? "the initial parameters" : "checkpoint " + base) + " plus " + n
        + " broadcast round patch" + (n == 1 ? "" : "es");
  }

  @Override
  public Segment run(int epoch, int r, int roundsPerEpoch, long round) {
    TrainingPlan plan = ctx.plan();
    ReplicaSource source = new ReplicaSource(ctx.runId(), base, baseVersion, List.copyOf(patches));
    GlobalRound global = plan.globalNegatives() ? globalBatch(epoch, r) : null;
    RoundTask task = new RoundTask(plan, epoch, r, round, source, ctx.logQ(), ctx.failureInjection(), global);
    ctx.sc().setJobGroup("logq-train", String.format("epoch %d/%d, round %d/%d (step %d)", epoch + 1,
        plan.epochs(), r + 1, roundsPerEpoch, round + 1), false);
    long t0 = System.nanoTime();
    List<RoundResult> results = ctx.shards().mapPartitions(it -> Worker.run(it, task)).collect();
    long t1 = System.nanoTime();
    RoundPatch patch = synchronise(results, round + 1);
    long t2 = System.nanoTime();
    if (plan.globalNegatives()) {
      nextGlobal = r + 1 < roundsPerEpoch
          ? GlobalRound.of(epoch, r + 1, results.stream().map(x -> x.nextRoundItems).toList())
          : null;
    }
    if (patch == null) {
      // every shard was exhausted: nothing to apply (cannot happen with ceil(largest))
      return new Segment(r, r + 1, round, 0, 0, false);
    }
    byte[] patchBytesOfRound = patch.toBytes();
    patches.add(ctx.sc().broadcast(patchBytesOfRound));
    pendingPatches = patches.size();
    pendingPatchBytes += patchBytesOfRound.length;
    long t3 = System.nanoTime();
    roundsRun++;
    long slowest = results.stream().mapToLong(x -> x.computeNanos).max().orElse(0);
    // The whole round: the workers' job, the driver's update and the patch's broadcast.
    epochCosts.add(epoch, 1, (t3 - t0) / 1e6, slowest / 1e6, patch.stepNanos / 1e6, (t3 - t0) / 1e6);
    taskMillis += results.stream().mapToLong(x -> x.taskNanos).max().orElse(0) / 1e6;
    updateMillis += (t2 - t1) / 1e6;
    patchBytes += patch.sizeInBytes();
    computeCpuMillis += results.stream().mapToLong(x -> x.computeCpuNanos).average().orElse(0) / 1e6;
    syncCpuMillis += results.stream().mapToLong(x -> x.taskCpuNanos - x.computeCpuNanos).average().orElse(0) / 1e6;
    sentBytes += results.stream().mapToLong(RoundResult::payloadBytes).average().orElse(0);
    return new Segment(r, r + 1, round + 1, results.stream().mapToDouble(x -> x.lossSum).sum(),
        results.stream().mapToLong(x -> x.examples).sum(), true);
  }

  /**
   * The round's global batch: carried by the previous round's results, or else (an epoch's first round, a resumed
   * run) gathered by a small job of its own that only reads the shards' batch items.
   */
  private GlobalRound globalBatch(int epoch, int r) {
    if (nextGlobal != null && nextGlobal.isFor(epoch, r)) {
      return nextGlobal;
    }
    TrainingPlan plan = ctx.plan();
    String runId = ctx.runId();
    ctx.sc().setJobGroup("logq-train", String.format("epoch %d/%d, round %d: the global batch's items", epoch + 1,
        plan.epochs(), r + 1), false);
    globalBatchJobs++;
    return GlobalRound.of(epoch, r, ctx.shards().mapPartitions(it -> Worker.roundItems(it, plan, runId, epoch, r))
        .collect());
  }

  /** Checkpoints at epoch ends, every train.checkpointEverySteps rounds, and when the pending patches pass the bound. */
  @Override
  public void afterSegment(Segment segment, int roundsPerEpoch, EpochProgress progress) {
    TrainingPlan plan = ctx.plan();
    long round = segment.version();
    boolean epochEnd = segment.end() == roundsPerEpoch;
    boolean periodic = plan.checkpointEverySteps() > 0 && round % plan.checkpointEverySteps() == 0;
    boolean bounded = ctx.maxPendingPatchBytes() > 0 && pendingPatchBytes >= ctx.maxPendingPatchBytes();
    String dir = ctx.checkpointDir();
    if (dir != null && bounded && !epochEnd && !periodic) {
      LOG.info(String.format("Checkpointing early at round %d: the %d patches since the last checkpoint hold"
          + " %.1f MiB (train.maxPendingPatchMegabytes)", round, patches.size(), pendingPatchBytes / 1048576.0));
    }
    if (dir != null && (epochEnd || periodic || bounded)) {
      base = Checkpoints.write(dir, master, state, progress.stateAfter(round, segment.end()), ctx.hadoopConf());
      Checkpoints.pruneOlderThan(dir, base, ctx.hadoopConf());
      baseVersion = round;
      destroyPatches();
      pendingPatchBytes = 0;
    }
  }

  @Override
  public TensorStore finalParams() {
    return master;
  }

  @Override
  public DistributedTrainer.SyncStats stats() {
    long n = Math.max(1, roundsRun);
    double roundMillis = epochCosts.wallMillis();
    double computeMillis = epochCosts.gradientMillis();
    DistributedTrainer.SyncStats stats = new DistributedTrainer.SyncStats(DistributedTrainer.ROUNDS, roundsRun, roundMillis / n,
        computeMillis / n, taskMillis / n, updateMillis / n, (roundMillis - computeMillis) / n,
        patchBytes / n / 1024.0, computeCpuMillis / n, syncCpuMillis / n, sentBytes / n / 1024.0, epochCosts.stepMillis() / n,
        epochCosts.epochs());
    LOG.info("Synchronisation: {} rounds, {} ms per round: worker task {} ms (of which gradient {} ms), {} ms"
            + " overhead outside the gradient; driver update {} ms (of which optimizer step {} ms); non-compute {} %;"
            + " patch {} KiB per round", stats.rounds(),
        fmt(stats.meanRoundMillis()), fmt(stats.meanWorkerTaskMillis()), fmt(stats.meanWorkerComputeMillis()),
        fmt(stats.meanOverheadMillis()), fmt(stats.meanDriverUpdateMillis()), fmt(stats.meanOptimizerStepMillis()),
        fmt(100 * stats.nonComputeShare()), fmt(stats.meanPatchKilobytes()));
    if (ctx.plan().globalNegatives()) {
      LOG.info("Global negatives: {} of {} rounds needed a job of their own for the global batch's item ids (an"
          + " epoch's first round, a resume); the others got them with the previous round's results",
          globalBatchJobs, roundsRun);
    }
    return stats;
  }

  @Override
  public void close() {
    destroyPatches();
  }

  private void destroyPatches() {
    for (Broadcast<byte[]> b : patches) {
      b.destroy();
    }
    patches.clear();
    pendingPatches = 0;
  }

  /**
   * Averages the workers' results in partition order and applies them to the master model.
   *
   * @return the patch the replicas must apply, or null when no worker had examples
   */
  private RoundPatch synchronise(List<RoundResult> results, long version) {
    List<Averaging.Contribution> contributions = new ArrayList<>();
    for (RoundResult r : results) { // collect() returns partition order: deterministic sums
      if (r.examples > 0) {
        TensorPatch[] sent = r.patches();
        contributions.add(new Averaging.Contribution(r.examples, sent[0], sent[1]));
      }
    }
    return Averaging.apply(contributions, master, state, optimizer, version, ctx.plan().syncEvery() > 1);
  }

  static String fmt(double v) {
    return String.format("%.2f", v);
  }
}
