package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.Optimizers;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel training of one model by N Spark partitions ("workers").
 *
 * <h2>Communication pattern</h2>
 * The training data is split once into N {@link TrainingShard}s, cached on the executors. Training then
 * runs in rounds; each round is one Spark job with one task per worker:
 * <pre>
 *   driver ──(task closure: round number, list of patch broadcast handles)──▶ every worker
 *   worker: replica := replica + patches it has not applied yet      (executor-resident, see Replicas)
 *           gradient (or syncEvery local optimizer steps) on its next local batch, in-batch negatives
 *   worker ──(sparse rows touched by its batch + dense tensors, example-weighted)──▶ driver (collect)
 *   driver: sum in partition order, divide by the examples, optimizer step on the master model
 *           patch := new values of the rows it changed  ──broadcast──▶ (read by the next round's tasks)
 * </pre>
 * What crosses the network per round is proportional to the rows the batches touch (about
 * 2 x batchSize x workers embedding rows plus the MLPs), never to the catalog: a 10-million-item model
 * costs the same per round as a 10-thousand-item one. The full model crosses the network only when an
 * executor has to (re)build its replica, from the last checkpoint plus the patches since.
 *
 * <p>Partition-order summation (not treeAggregate, whose merge order follows task completion) makes
 * the result bit-for-bit reproducible for a fixed seed, data and worker count, also across task
 * retries and executor layouts. The driver holds the master model, the optimizer state and the patches
 * since the last checkpoint (bounded by {@link #withMaxPendingPatchBytes}: past it, the driver checkpoints
 * early); it never holds training data. {@link EpochProgress} keeps the per-epoch bookkeeping of both
 * backends.
 */
public final class DistributedTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private final JavaSparkContext sc;
  private final TrainingPlan plan;
  private final String checkpointDir;
  private final Configuration hadoopConf;
  private String failureInjection;
  private SyncBackend backend = SyncBackend.ROUNDS;
  private long maxPendingPatchBytes;
  /** Attempts of one barrier segment before the job fails (Spark's own task retries play this role for rounds). */
  static final int BARRIER_ATTEMPTS = 4;

  /** How workers exchange their contributions each round (see docs/decisions.md for the measurements). */
  public enum SyncBackend {
    /** One Spark job per round; the driver averages and broadcasts the changed rows. */
    ROUNDS,
    /** One barrier-mode job per checkpoint segment; workers allGather and all apply the same update. */
    BARRIER;

    public static SyncBackend parse(String name) {
      for (SyncBackend b : values()) {
        if (b.name().equalsIgnoreCase(name)) {
          return b;
        }
      }
      throw new IllegalArgumentException("unknown synchronisation backend '" + name + "'; expected rounds or barrier");
    }
  }

  /** The trained model and how training went. */
  public record Result(TensorStore params, TrainerState state, SyncStats sync) {}

  /** Per-round costs, to see what synchronisation costs next to the computation. */
  public record SyncStats(long rounds, double meanRoundMillis, double meanWorkerComputeMillis,
                          double meanWorkerTaskMillis, double meanDriverUpdateMillis, double meanOverheadMillis,
                          double meanPatchKilobytes) {}

  public DistributedTrainer(JavaSparkContext sc, TrainingPlan plan, String checkpointDir, Configuration hadoopConf) {
    this.sc = sc;
    this.plan = plan;
    this.checkpointDir = checkpointDir;
    this.hadoopConf = hadoopConf;
  }

  /** Test hook: "round:partition" fails that task's first attempt (Spark must retry it). */
  public DistributedTrainer withFailureInjection(String spec) {
    this.failureInjection = spec;
    return this;
  }

  public DistributedTrainer withBackend(SyncBackend backend) {
    this.backend = backend;
    return this;
  }

  /**
   * Rounds backend: checkpoint early once the patches broadcast since the last checkpoint add up to this many
   * bytes (0: no bound). Every patch since the last checkpoint stays broadcast, because a worker that lost its
   * replica rebuilds it from that checkpoint plus the patches; without a bound an epoch of 10^5 rounds would
   * keep 10^5 patches (each one all rows the round changed) in the driver's and executors' block managers.
   * A checkpoint holds the exact state, so the model is the same bit for bit with or without the bound.
   */
  public DistributedTrainer withMaxPendingPatchBytes(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("maxPendingPatchBytes must be >= 0, got " + bytes);
    }
    this.maxPendingPatchBytes = bytes;
    return this;
  }

  public Result train(JavaRDD<TrainingShard> shards, double[] itemLogQ, boolean resume) {
    if (shards.getNumPartitions() != plan.workers()) {
      throw new IllegalArgumentException("shards have " + shards.getNumPartitions() + " partitions, plan has "
          + plan.workers() + " workers");
    }
    String runId = UUID.randomUUID().toString();
    sc.setJobGroup("logq-train", "Splitting training data into " + plan.workers() + " worker shards", false);
    List<Integer> sizes = ShardBuilder.sizes(shards);
    long totalExamples = sizes.stream().mapToLong(Integer::longValue).sum();
    int largest = sizes.stream().mapToInt(Integer::intValue).max().orElse(0);
    if (totalExamples == 0) {
      throw new IllegalArgumentException("No training examples");
    }
    int roundsPerEpoch = (int) Math.ceil(largest / (double) plan.examplesPerRound());
    LOG.info("Training on {} examples in {} shards (sizes {}), {} rounds per epoch of {} examples per worker",
        totalExamples, sizes.size(), sizes, roundsPerEpoch, plan.examplesPerRound());

    Optimizer optimizer = Optimizers.create(plan.optimizer(), plan.learningRate(), plan.adamBeta1(),
        plan.adamBeta2(), plan.epsilon());
    TensorStore master;
    TensorStore state;
    TrainerState position;
    String base = null;
    if (resume && checkpointDir != null && Checkpoints.latestComplete(checkpointDir, hadoopConf).isPresent()) {
      base = Checkpoints.latestComplete(checkpointDir, hadoopConf).get();
      Checkpoints.Loaded loaded = Checkpoints.read(base, hadoopConf, true);
      master = loaded.params();
      state = loaded.optimizerState();
      position = loaded.trainer();
      LOG.info("Resuming from checkpoint {} (round {}, epoch {}, round {} of the epoch)", base,
          position.globalRound(), position.epoch() + 1, position.roundInEpoch());
    } else {
      if (resume) {
        LOG.info("--resume given but no complete checkpoint in {}; starting from the beginning", checkpointDir);
      }
      master = TwoTowerModel.initialParameters(plan.model());
      state = optimizer.newState(master);
      position = new TrainerState(0, 0, 0, 0.0, 0, List.of());
    }
    if (backend == SyncBackend.BARRIER) {
      return trainBarrier(shards, itemLogQ, runId, roundsPerEpoch, position, base);
    }

    Broadcast<double[]> logQ = sc.broadcast(itemLogQ);
    List<Broadcast<byte[]>> patches = new ArrayList<>();
    long pendingPatchBytes = 0;
    long baseVersion = position.globalRound();
    EpochProgress progress = new EpochProgress(plan, roundsPerEpoch, position);
    long round = position.globalRound();
    double roundMillis = 0;
    double computeMillis = 0;
    double taskMillis = 0;
    double updateMillis = 0;
    double patchBytes = 0;
    long roundsRun = 0;

    for (int epoch = position.epoch(); epoch < plan.epochs(); epoch++) {
      int firstRound = progress.startEpoch(epoch);
      for (int r = firstRound; r < roundsPerEpoch; r++) {
        ReplicaSource source = new ReplicaSource(runId, base, baseVersion, List.copyOf(patches));
        RoundTask task = new RoundTask(plan, epoch, r, round, source, logQ, failureInjection);
        sc.setJobGroup("logq-train", String.format("epoch %d/%d, round %d/%d (step %d)", epoch + 1,
            plan.epochs(), r + 1, roundsPerEpoch, round + 1), false);
        long t0 = System.nanoTime();
        List<RoundResult> results = shards.mapPartitions(it -> Worker.run(it, task)).collect();
        long t1 = System.nanoTime();
        RoundPatch patch = synchronise(results, master, state, optimizer, round + 1);
        long t2 = System.nanoTime();
        if (patch == null) {
          continue; // every shard was exhausted: nothing to apply (cannot happen with ceil(largest))
        }
        byte[] patchBytesOfRound = patch.toBytes();
        patches.add(sc.broadcast(patchBytesOfRound));
        pendingPatchBytes += patchBytesOfRound.length;
        round++;
        roundsRun++;
        progress.add(results.stream().mapToDouble(x -> x.lossSum).sum(),
            results.stream().mapToLong(x -> x.examples).sum(), r, r + 1);
        roundMillis += (t1 - t0) / 1e6;
        computeMillis += results.stream().mapToLong(x -> x.computeNanos).max().orElse(0) / 1e6;
        taskMillis += results.stream().mapToLong(x -> x.taskNanos).max().orElse(0) / 1e6;
        updateMillis += (t2 - t1) / 1e6;
        patchBytes += patch.sizeInBytes();

        boolean epochEnd = r == roundsPerEpoch - 1;
        boolean periodic = plan.checkpointEverySteps() > 0 && round % plan.checkpointEverySteps() == 0;
        boolean bounded = maxPendingPatchBytes > 0 && pendingPatchBytes >= maxPendingPatchBytes;
        if (checkpointDir != null && bounded && !epochEnd && !periodic) {
          LOG.info(String.format("Checkpointing early at round %d: the %d patches since the last checkpoint hold"
              + " %.1f MiB (train.maxPendingPatchMegabytes)", round, patches.size(), pendingPatchBytes / 1048576.0));
        }
        if (checkpointDir != null && (epochEnd || periodic || bounded)) {
          base = Checkpoints.write(checkpointDir, master, state, progress.stateAfter(round, r + 1), hadoopConf);
          Checkpoints.pruneOlderThan(checkpointDir, base, hadoopConf);
          baseVersion = round;
          for (Broadcast<byte[]> b : patches) {
            b.destroy();
          }
          patches.clear();
          pendingPatchBytes = 0;
        }
        progress.maybeLog(r + 1);
      }
      progress.finishEpoch();
    }

    final String finishedRun = runId;
    sc.setJobGroup("logq-train", "Releasing model replicas", false);
    shards.foreachPartition(it -> Replicas.release(finishedRun));
    for (Broadcast<byte[]> b : patches) {
      b.destroy();
    }
    logQ.destroy();
    sc.clearJobGroup();
    TrainerState finalState = progress.finalState(round);
    long n = Math.max(1, roundsRun);
    SyncStats stats = new SyncStats(roundsRun, roundMillis / n, computeMillis / n, taskMillis / n, updateMillis / n,
        (roundMillis - computeMillis) / n, patchBytes / n / 1024.0);
    LOG.info("Synchronisation: {} rounds, {} ms per round: worker task {} ms (of which gradient {} ms), {} ms"
            + " overhead outside the gradient; driver update {} ms; patch {} KiB per round", stats.rounds(),
        fmt(stats.meanRoundMillis()), fmt(stats.meanWorkerTaskMillis()), fmt(stats.meanWorkerComputeMillis()),
        fmt(stats.meanOverheadMillis()), fmt(stats.meanDriverUpdateMillis()), fmt(stats.meanPatchKilobytes()));
    return new Result(master, finalState, stats);
  }

  /** The barrier backend's driver: one barrier job per segment between checkpoints (see BarrierWorker). */
  private Result trainBarrier(JavaRDD<TrainingShard> shards, double[] itemLogQ, String runId, int roundsPerEpoch,
                              TrainerState position, String base) {
    if (sc.defaultParallelism() < plan.workers()) {
      throw new IllegalArgumentException("train.syncBackend=barrier runs all " + plan.workers() + " workers at once,"
          + " but Spark has only " + sc.defaultParallelism() + " task slots; lower train.workers or use rounds");
    }
    String dir = checkpointDir;
    java.nio.file.Path scratch = null;
    if (dir == null) {
      if (!sc.master().startsWith("local")) {
        throw new IllegalArgumentException("train.syncBackend=barrier needs a checkpoint directory on a cluster");
      }
      try {
        scratch = java.nio.file.Files.createTempDirectory("logq-barrier-");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      dir = scratch.toUri().toString();
    }
    Broadcast<double[]> logQ = sc.broadcast(itemLogQ);
    EpochProgress progress = new EpochProgress(plan, roundsPerEpoch, position);
    long round = position.globalRound();
    double wallMillis = 0;
    double computeMillis = 0;
    double exchangeMillis = 0;
    double patchBytes = 0;
    long roundsRun = 0;
    for (int epoch = position.epoch(); epoch < plan.epochs(); epoch++) {
      int r = progress.startEpoch(epoch);
      while (r < roundsPerEpoch) {
        int end = roundsPerEpoch;
        if (plan.checkpointEverySteps() > 0) {
          end = (int) Math.min(end, r + (plan.checkpointEverySteps() - round % plan.checkpointEverySteps()));
        }
        sc.setJobGroup("logq-train", String.format("epoch %d/%d, rounds %d-%d of %d (barrier)", epoch + 1,
            plan.epochs(), r + 1, end, roundsPerEpoch), false);
        long t0 = System.nanoTime();
        List<BarrierWorker.SegmentResult> results = null;
        // Spark never retries a failed barrier result stage, so the driver reruns the segment: every
        // worker rebuilds its replica from the segment's checkpoint and the rerun gives the same bits.
        for (int attempt = 0; results == null; attempt++) {
          BarrierWorker.SegmentTask task = new BarrierWorker.SegmentTask(plan, runId, epoch, r, end, round, base, dir,
              logQ, failureInjection, attempt);
          try {
            results = new JavaRDD<>(shards.rdd().barrier().mapPartitions(new BarrierWorker.Segment(task), false,
                scala.reflect.ClassTag$.MODULE$.apply(BarrierWorker.SegmentResult.class)),
                scala.reflect.ClassTag$.MODULE$.apply(BarrierWorker.SegmentResult.class)).collect();
          } catch (Exception e) { // SparkException is checked, though collect() does not declare it
            if (attempt + 1 >= BARRIER_ATTEMPTS || dev.logq.common.error.LogqException.find(e) != null) {
              throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
            }
            LOG.warn("Barrier segment (epoch {}, rounds {}-{}) failed on attempt {}; rerunning it from its checkpoint:"
                + " {}", epoch + 1, r + 1, end, attempt + 1, e.getMessage());
          }
        }
        long t1 = System.nanoTime();
        BarrierWorker.SegmentResult first = results.get(0);
        progress.add(first.lossSum, first.examples, r, end);
        roundsRun += end - r;
        round = first.version;
        wallMillis += (t1 - t0) / 1e6;
        computeMillis += results.stream().mapToLong(x -> x.computeNanos).max().orElse(0) / 1e6;
        exchangeMillis += results.stream().mapToLong(x -> x.exchangeNanos).max().orElse(0) / 1e6;
        patchBytes += first.patchBytes;
        r = end;
        Checkpoints.complete(first.checkpoint, progress.stateAfter(round, r), hadoopConf);
        Checkpoints.pruneOlderThan(dir, first.checkpoint, hadoopConf);
        base = first.checkpoint;
        progress.maybeLog(r);
      }
      progress.finishEpoch();
    }
    TensorStore params = base == null ? TwoTowerModel.initialParameters(plan.model())
        : Checkpoints.read(base, hadoopConf, false).params();
    final String finishedRun = runId;
    sc.setJobGroup("logq-train", "Releasing model replicas", false);
    shards.foreachPartition(it -> Replicas.release(finishedRun));
    logQ.destroy();
    sc.clearJobGroup();
    if (scratch != null) {
      deleteQuietly(scratch);
    }
    long n = Math.max(1, roundsRun);
    SyncStats stats = new SyncStats(roundsRun, wallMillis / n, computeMillis / n, (computeMillis + exchangeMillis) / n,
        0.0, (wallMillis - computeMillis) / n, patchBytes / n / 1024.0);
    LOG.info("Synchronisation (barrier): {} rounds, {} ms per round: gradient {} ms, allGather {} ms; patch {} KiB",
        stats.rounds(), fmt(stats.meanRoundMillis()), fmt(stats.meanWorkerComputeMillis()), fmt(exchangeMillis / n),
        fmt(stats.meanPatchKilobytes()));
    return new Result(params, progress.finalState(round), stats);
  }

  private static void deleteQuietly(java.nio.file.Path dir) {
    try (var files = java.nio.file.Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      LOG.warn("Could not delete {}: {}", dir, e.getMessage());
    }
  }

  /**
   * Averages the workers' results in partition order and applies them to the master model.
   *
   * @return the patch the replicas must apply, or null when no worker had examples
   */
  private RoundPatch synchronise(List<RoundResult> results, TensorStore master, TensorStore state,
                                 Optimizer optimizer, long version) {
    List<Averaging.Contribution> contributions = new ArrayList<>();
    for (RoundResult r : results) { // collect() returns partition order: deterministic sums
      if (r.examples > 0) {
        TensorPatch[] sent = r.patches();
        contributions.add(new Averaging.Contribution(r.examples, sent[0], sent[1]));
      }
    }
    return Averaging.apply(contributions, master, state, optimizer, version, plan.syncEvery() > 1);
  }

  private static String fmt(double v) {
    return String.format("%.2f", v);
  }
}
