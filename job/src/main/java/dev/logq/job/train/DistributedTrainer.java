package dev.logq.job.train;

import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.model.tower.InputKind;
import dev.logq.common.optim.Optimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 *           (loss.negatives = global: the distinct items of every worker's batch of the round, whose ids the
 *           previous round's results carried; {@link GlobalRound})
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
 * early); it never holds training data.
 *
 * <h2>One epoch loop, two backends</h2>
 * {@link #train} holds the only epoch loop: it asks the backend's {@link Synchronizer} to run a segment of
 * rounds (the rounds backend: one round, {@link RoundsSynchronizer}; the collective backend: every round up
 * to the next checkpoint in one barrier-mode job, {@link CollectiveSynchronizer}), records the segment's loss in
 * {@link EpochProgress}, and lets the backend checkpoint. Both backends run the same worker computation
 * ({@link Worker.Step}) and give the same model bit for bit.
 */
public final class DistributedTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private final JavaSparkContext sc;
  private final TrainingPlan plan;
  private final String checkpointDir;
  private final Configuration hadoopConf;
  private String failureInjection;
  private String backend = ROUNDS;
  private long maxPendingPatchBytes;
  private EpochValidation validation;
  private EarlyStopping stopping;
  /** Attempts of one segment job before the job fails (Spark's own task retries play this role for rounds). */
  static final int SEGMENT_ATTEMPTS = 4;

  /** Starts a backend's {@link Synchronizer} for one training. */
  @FunctionalInterface
  interface SynchronizerFactory {
    Synchronizer start(SyncContext ctx, TensorStore master, TensorStore state, String base, long baseVersion);
  }

  /** A registered backend: its lines in train.syncBackend's documentation and how it starts. */
  private record Backend(String doc, SynchronizerFactory factory) {}

  /**
   * The registry of synchronisation backends (train.syncBackend): how workers exchange their contributions
   * each round (see docs/decisions.md for the measurements). The configuration accepts exactly these names
   * and documents each with its DOC ({@link SyncBackendNames}).
   */
  private static final Map<String, Backend> BACKENDS = new LinkedHashMap<>();

  /** train.syncBackend = rounds. */
  public static final String ROUNDS = "rounds";
  /** Workers exchange directly, owner-sharded; the driver only schedules (train.syncBackend = collective). */
  public static final String COLLECTIVE = "collective";

  static {
    register(ROUNDS, RoundsSynchronizer.DOC, RoundsSynchronizer::new);
    register(COLLECTIVE, CollectiveSynchronizer.DOC,
        (ctx, master, state, base, baseVersion) -> new CollectiveSynchronizer(ctx, base));
  }

  private static void register(String name, String doc, SynchronizerFactory factory) {
    if (BACKENDS.putIfAbsent(name, new Backend(doc, factory)) != null) {
      throw new IllegalStateException("two sync backends named '" + name + "'");
    }
  }

  /** train.syncBackend's per-backend documentation: auto's, then every backend's DOC, in registration order. */
  static String backendDoc() {
    return SyncBackendChoice.DOC.strip() + "\n"
        + String.join("\n", BACKENDS.values().stream().map(b -> b.doc().strip()).toList());
  }

  /** The registered backends' names, in registration order. */
  public static List<String> backendNames() {
    return List.copyOf(BACKENDS.keySet());
  }

  /** What train.syncBackend accepts: auto, then the registered backends. */
  public static List<String> configurableNames() {
    List<String> names = new java.util.ArrayList<>(List.of(SyncBackendChoice.AUTO));
    names.addAll(BACKENDS.keySet());
    return List.copyOf(names);
  }

  /**
   * The trained model and how training went.
   *
   * @param stopping the validation metric's course (best epoch, why training stopped); null without validation
   */
  public record Result(TensorStore params, TrainerState state, SyncStats sync, EarlyStopping stopping) {}

  /** Evaluates the model at an epoch's end on the validation split (driver side; may run Spark jobs). */
  @FunctionalInterface
  public interface EpochValidation {
    /** The validation metrics of the model {@code params} after epoch {@code epoch} (1-based). */
    Map<String, Double> validate(int epoch, TensorStore params);
  }

  /**
   * Per-round costs, to see what synchronisation costs next to the computation. The three last are means over
   * the workers, per worker and round: the task thread's CPU time in the gradient, its CPU time in the rest of
   * the round's synchronisation (rounds: the task outside the gradient, i.e. replica sync, batch, result
   * encoding; collective: the exchange, owner step and applying the changed rows), and the bytes it sent (rounds:
   * its encoded result to the driver; collective: its exchange messages to the peers).
   *
   * <p>Both compute times are on the round's critical path, per round the slowest worker's, summed over rounds: the
   * gradient ({@code meanWorkerComputeMillis}) and the optimizer step ({@code meanOptimizerStepMillis}: rounds, the
   * driver's step of the summed gradient; collective, the slowest owner's step of its rows; local steps, the
   * owners' averaging). What is left of the wall ({@link #nonComputeShare}) is synchronisation: transport, encoding,
   * merging, waiting, scheduling, checkpoints.
   */
  public record SyncStats(String backend, long rounds, double meanRoundMillis, double meanWorkerComputeMillis,
                          double meanWorkerTaskMillis, double meanDriverUpdateMillis, double meanOverheadMillis,
                          double meanPatchKilobytes, double meanWorkerComputeCpuMillis,
                          double meanWorkerSyncCpuMillis, double meanWorkerSentKilobytes,
                          double meanOptimizerStepMillis, List<EpochSync> epochs) {

    /** The share of the round's wall outside the gradient and the optimizer step (0 without rounds). */
    @com.fasterxml.jackson.annotation.JsonProperty("nonComputeShare")
    public double nonComputeShare() {
      return share(meanRoundMillis, meanWorkerComputeMillis, meanOptimizerStepMillis);
    }
  }

  /**
   * One epoch's rounds as {@link SyncStats} counts them (epoch 1-based). {@code meanRoundMillis} is the driver's
   * wall per round, the collective backend's segment starts and shard checkpoints included (about 0.1 s per
   * segment here, a constant per epoch); {@code meanLoopMillis} the rounds alone (collective: the slowest worker's
   * round loop; rounds: the same as the wall, whose checkpoints the driver writes between rounds, uncounted).
   */
  public record EpochSync(int epoch, long rounds, double meanRoundMillis, double meanWorkerComputeMillis,
                          double meanOptimizerStepMillis, double meanLoopMillis) {

    /** The share of the driver's wall outside the gradient and the optimizer step. */
    @com.fasterxml.jackson.annotation.JsonProperty("nonComputeShare")
    public double nonComputeShare() {
      return share(meanRoundMillis, meanWorkerComputeMillis, meanOptimizerStepMillis);
    }

    /** The same share of the rounds alone, without the segments' starts and checkpoints. */
    @com.fasterxml.jackson.annotation.JsonProperty("roundNonComputeShare")
    public double roundNonComputeShare() {
      return share(meanLoopMillis, meanWorkerComputeMillis, meanOptimizerStepMillis);
    }
  }

  private static double share(double round, double gradient, double step) {
    return round <= 0 ? 0 : Math.max(0, round - gradient - step) / round;
  }

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

  /**
   * Validates at every epoch end and follows {@code metric} there: with {@code patience > 0} training stops after
   * that many epochs without improvement and the result is the best epoch's model, read back from its checkpoint
   * (kept, marked, until the run's checkpoints are removed); with patience 0 every epoch is trained and the
   * result is the last epoch's model.
   */
  public DistributedTrainer withValidation(EpochValidation validation, String metric, int patience) {
    this.validation = validation;
    this.stopping = new EarlyStopping(metric, patience);
    return this;
  }

  /** The sync backend named {@code backend} ({@link #configurableNames()}; auto is resolved when training starts). */
  public DistributedTrainer withBackend(String backend) {
    if (!BACKENDS.containsKey(backend) && !SyncBackendChoice.AUTO.equals(backend)) {
      throw new IllegalArgumentException("train.syncBackend: unknown backend '" + backend + "' (expected one of "
          + String.join(", ", configurableNames()) + ")");
    }
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
    if (plan.globalNegatives()) {
      logGlobalNegatives(plan);
    }

    Optimizer optimizer = plan.optimizer();
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
      dev.logq.job.console.JobConsole.line(String.format(java.util.Locale.ROOT, "%-9s %8s  %s", "resume", "",
          "from " + base + ": epoch " + (position.epoch() + 1) + "/" + plan.epochs() + ", " + position.roundInEpoch()
              + " of " + roundsPerEpoch + " rounds done"));
    } else {
      if (resume) {
        LOG.info("--resume given but no complete checkpoint in {}; starting from the beginning", checkpointDir);
      }
      master = TwoTowerModel.initialParameters(plan.model());
      state = optimizer.newState(master);
      position = new TrainerState(0, 0, 0, 0.0, 0, List.of());
    }
    Broadcast<double[]> logQ = sc.broadcast(itemLogQ);
    SyncContext context = new SyncContext(sc, plan, shards, logQ, runId, checkpointDir, hadoopConf, failureInjection,
        maxPendingPatchBytes);
    SyncBackendChoice.Choice chosen = SyncBackendChoice.resolve(sc.sc(), backend, plan.workers());
    if (SyncBackendChoice.AUTO.equals(backend)) { // else whoever resolved it (the pipeline) said why
      LOG.info("Synchronisation backend: {} ({})", chosen.backend(), chosen.reason());
    }
    Synchronizer sync = BACKENDS.get(chosen.backend()).factory().start(context, master, state, base,
        position.globalRound());

    // Spark's listener says which executor died; this one adds where training was and where it recovers from.
    ExecutorLossLog lossLog = ExecutorLossLog.register(sc.sc(), sync);
    try {
      // The epoch loop, the same for every backend: a segment of rounds, its loss, the backend's checkpoints,
      // then the validation metrics of the epoch's model and the early-stopping decision.
      EpochProgress progress = new EpochProgress(plan, roundsPerEpoch, position)
          .withConsoleMetric(stopping == null ? null : stopping.metric());
      sync.showProgressIn(progress);
      TensorStore bestInMemory = null;
      boolean replicasReleased = false;
      if (validation != null) {
        List<TrainerState.EpochStats> done = progress.curve();
        for (TrainerState.EpochStats e : done) {
          if (!e.validation().isEmpty()) {
            stopping.record(e.epoch(), e.validation());
          }
        }
        if (!done.isEmpty() && position.roundInEpoch() == 0 && done.get(done.size() - 1).validation().isEmpty()) {
          // Resumed from an epoch-end checkpoint written before that epoch's validation ran: its model is master.
          int last = done.get(done.size() - 1).epoch();
          Map<String, Double> v = validation.validate(last, sync.finalParams());
          progress.setLastValidation(v);
          if (stopping.record(last, v) && checkpointDir != null && base != null) {
            Checkpoints.markBest(checkpointDir, base, hadoopConf);
          }
        }
      }
      long round = position.globalRound();
      int epochsDone = position.epoch();
      for (int epoch = position.epoch(); epoch < plan.epochs() && (stopping == null || !stopping.shouldStop());
           epoch++) {
        int r = progress.startEpoch(epoch);
        while (r < roundsPerEpoch) {
          lossLog.at(epoch, plan.epochs(), r, roundsPerEpoch);
          Synchronizer.Segment segment = sync.run(epoch, r, roundsPerEpoch, round);
          if (segment.ran()) {
            double[] perRound = segment.roundLossSums();
            if (perRound == null) {
              progress.add(segment.lossSum(), segment.examples(), segment.from(), segment.end());
            } else {
              for (int i = 0; i < perRound.length; i++) { // the example count is exact: all of it with the first
                progress.add(perRound[i], i == 0 ? segment.examples() : 0, segment.from() + i, segment.from() + i + 1);
              }
            }
            round = segment.version();
            sync.afterSegment(segment, roundsPerEpoch, progress);
            progress.maybeLog(segment.end());
          }
          r = segment.end();
        }
        Map<String, Double> metrics = Map.of();
        if (validation != null) {
          if (epoch == plan.epochs() - 1) {
            // No round follows: the workers' replicas (and the collective owners' optimizer state) go before the
            // validation pass needs the memory (the 10M-item run of docs/benchmarks.md ran out of heap here).
            releaseReplicas(shards, runId);
            replicasReleased = true;
          }
          TensorStore now = sync.finalParams();
          metrics = validation.validate(epoch + 1, now);
          if (stopping.record(epoch + 1, metrics) && stopping.patience() > 0) {
            if (checkpointDir != null) {
              Checkpoints.markBest(checkpointDir, Checkpoints.pathFor(checkpointDir, round), hadoopConf);
            } else {
              bestInMemory = now.copy();
            }
          }
        }
        progress.finishEpoch(metrics);
        epochsDone = epoch + 1;
        if (stopping != null && stopping.shouldStop() && epochsDone < plan.epochs()) {
          LOG.info("Early stopping after epoch {}: {} did not improve for {} epochs; the best epoch is {} ({} = {})",
              epochsDone, stopping.metric(), stopping.epochsWithoutImprovement(), stopping.bestEpoch(),
              stopping.metric(), stopping.bestValue());
        }
      }

      TensorStore params = sync.finalParams();
      if (stopping != null && stopping.patience() > 0 && stopping.bestEpoch() > 0
          && stopping.bestEpoch() != stopping.lastEpoch()) {
        if (checkpointDir != null) {
          Optional<String> best = Checkpoints.best(checkpointDir, hadoopConf);
          if (best.isEmpty()) {
            throw new IllegalStateException("The best epoch's checkpoint (epoch " + stopping.bestEpoch()
                + ") is missing from " + checkpointDir);
          }
          LOG.info("Output model: the best epoch's ({}), read from {}", stopping.bestEpoch(), best.get());
          params = Checkpoints.read(best.get(), hadoopConf, false).params();
        } else {
          params = bestInMemory;
        }
      }
      if (!replicasReleased) { // stopped early, or no validation: nothing released them yet
        releaseReplicas(shards, runId);
      }
      sync.close();
      logQ.destroy();
      sc.clearJobGroup();
      return new Result(params, progress.finalState(round, epochsDone), sync.stats(),
          validation == null ? null : stopping);
    } finally {
      lossLog.close();
    }
  }

  /** Frees the executors' model replicas of a run (idempotent: a job over the shards). */
  private void releaseReplicas(JavaRDD<TrainingShard> shards, String runId) {
    sc.setJobGroup("logq-train", "Releasing model replicas", false);
    shards.foreachPartition(it -> Replicas.release(runId));
  }

  /**
   * Global negatives widen each worker's score matrix to the round's distinct items: at most
   * min(catalog, workers x rows) columns for a batch's rows (a sequence batch's rows are its positions), two
   * float matrices (scores and their gradient) per step. Said once, and warned about past 1 GiB.
   */
  private static void logGlobalNegatives(TrainingPlan plan) {
    long rows = (long) plan.batchSize()
        * (plan.model().userTower().input() == InputKind.SEQUENCE ? plan.model().userTower().window() : 1);
    long cols = Math.min(plan.model().numItems(), plan.workers() * rows);
    long bytes = 2 * 4 * rows * cols;
    String size = MemoryEstimate.bytes(bytes);
    LOG.info("Global negatives (loss.negatives = global): every worker's rows are scored against the distinct items"
        + " of all {} workers' batches of the round: at most {} rows x {} columns, {} of scores and gradient per"
        + " step", plan.workers(), rows, cols, size);
    if (bytes > 1L << 30) {
      LOG.warn("Global negatives: a step's score matrices can take {} per worker (up to {} distinct items from {}"
          + " workers); fewer workers, a smaller train.batchSize or loss.negatives = local keep it smaller", size,
          cols, plan.workers());
    }
  }
}
