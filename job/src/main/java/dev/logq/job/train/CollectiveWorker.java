package dev.logq.job.train;

import dev.logq.common.model.Batch;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.optim.Optimizer;
import dev.logq.job.output.HadoopFiles;
import dev.logq.job.train.collective.Collectives;
import dev.logq.job.train.collective.FileRendezvous;
import dev.logq.job.train.collective.OwnerShard;
import dev.logq.job.train.collective.PeerGroup;
import dev.logq.job.train.collective.RowOwnership;
import dev.logq.job.train.collective.ShardedExchange;
import java.io.Serializable;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

/**
 * The collective backend's worker (train.syncBackend = collective): one barrier-mode task per worker runs a
 * whole segment of rounds (up to the next checkpoint). Once per segment the tasks exchange addresses through
 * the checkpoint directory ({@link FileRendezvous}: milliseconds, where the barrier coordinator's allGather
 * costs a second); then every round is worker to worker
 * ({@link ShardedExchange}): the gradient (syncEvery = 1) or the local-steps change (syncEvery > 1) goes, split
 * by row owner, to the owners; each owner sums its rows' parts in rank order, takes the mean and steps them
 * (the optimizer state of a row lives only on its owner, {@link OwnerShard}), and the new values of every
 * changed row are all-gathered and applied to every worker's replica. Same float operations in the same order
 * as {@link Averaging} on the driver: the same model bit for bit as the rounds backend.
 *
 * <p>With syncEvery > 1 every worker keeps a full optimizer state (its local steps need it); the owners sum
 * the parameter and state changes of their rows and publish the new values of both, exactly as
 * {@link Averaging} does for local steps.
 *
 * <p>At the segment's end every worker writes its shard of the checkpoint in parallel ({@link ShardedCheckpoints});
 * the driver completes it. A failure fails the barrier stage; the driver reruns the segment from its checkpoint.
 */
final class CollectiveWorker {

  private static final Logger LOG = LoggerFactory.getLogger(CollectiveWorker.class);
  /** What a worker keeps in its executor JVM between segments, by run and rank. */
  private static final Map<String, Held> HELD = new ConcurrentHashMap<>();
  /**
   * Whether gradient-averaging segments pull only the rows each step reads ({@link ShardedExchange#pullRound}, the
   * default) or all-gather every changed row ({@link ShardedExchange#round}); the same bits either way. Read on the
   * driver: {@code -Dlogq.collectivePull=false} there restores the all-gather, for measuring one against the other.
   */
  static boolean pullByDefault() {
    return !"false".equals(System.getProperty("logq.collectivePull"));
  }

  private CollectiveWorker() {}

  /** The closure of one segment. */
  record SegmentTask(TrainingPlan plan, String runId, int epoch, int firstRound, int endRound, long globalRound,
                     String baseCheckpoint, String checkpoint, Broadcast<double[]> itemLogQ,
                     String failureInjection, int attempt, long receiveTimeoutMillis,
                     SegmentProgress.Counters progress, boolean pullRows) implements Serializable {}

  /** What each worker returns for a segment (a plain class: Kryo cannot ship records). */
  static final class SegmentResult implements Serializable {
    private static final long serialVersionUID = 1L;
    final int partition;
    final long version;
    final long examples;
    final double lossSum;
    final long setupNanos;
    final long loopNanos;
    final long computeNanos;
    final long exchangeNanos;
    final long computeCpuNanos;
    final long exchangeCpuNanos;
    final long checkpointNanos;
    final long sentBytes;
    final long receivedBytes;
    final long changedValues;
    /** Every round's loss sum over all workers (the same on every worker). */
    final double[] roundLossSums;
    /** This worker's gradient time of every round, for the round's critical path (the slowest worker's). */
    final long[] roundGradientNanos;
    /** This worker's time in its owner's step (or local-steps averaging) of every round. */
    final long[] roundStepNanos;

    SegmentResult(int partition, long version, long examples, double lossSum, long setupNanos, long loopNanos,
                  long computeNanos, long exchangeNanos, long computeCpuNanos, long exchangeCpuNanos,
                  long checkpointNanos, long sentBytes, long receivedBytes, long changedValues,
                  double[] roundLossSums, long[] roundGradientNanos, long[] roundStepNanos) {
      this.roundLossSums = roundLossSums;
      this.roundGradientNanos = roundGradientNanos;
      this.roundStepNanos = roundStepNanos;
      this.partition = partition;
      this.version = version;
      this.examples = examples;
      this.lossSum = lossSum;
      this.setupNanos = setupNanos;
      this.loopNanos = loopNanos;
      this.computeNanos = computeNanos;
      this.exchangeNanos = exchangeNanos;
      this.computeCpuNanos = computeCpuNanos;
      this.exchangeCpuNanos = exchangeCpuNanos;
      this.checkpointNanos = checkpointNanos;
      this.sentBytes = sentBytes;
      this.receivedBytes = receivedBytes;
      this.changedValues = changedValues;
    }
  }

  /** The segment as the Scala function RDDBarrier.mapPartitions takes. */
  static final class Segment extends AbstractFunction1<scala.collection.Iterator<TrainingShard>,
      scala.collection.Iterator<SegmentResult>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final SegmentTask task;

    Segment(SegmentTask task) {
      this.task = task;
    }

    @Override
    public scala.collection.Iterator<SegmentResult> apply(scala.collection.Iterator<TrainingShard> partition) {
      return JavaConverters.asScalaIterator(run(JavaConverters.asJavaIterator(partition), task));
    }
  }

  /**
   * A worker's model between segments: the full parameter replica (for its forward passes), with local steps
   * the full optimizer state, else its {@link OwnerShard}; the version they are at. {@code dirty} while a
   * segment runs: a failed segment's leftovers are rebuilt from the checkpoint, never trained on.
   */
  private static final class Held {
    TensorStore params;
    TensorStore state;
    OwnerShard shard;
    long version = -1;
    boolean dirty;
  }

  static Iterator<SegmentResult> run(Iterator<TrainingShard> partition, SegmentTask task) {
    long entered = System.nanoTime();
    WorkerKernels.logOnce();
    TrainingShard data = partition.next();
    BarrierTaskContext context = BarrierTaskContext.get();
    TrainingPlan plan = task.plan();
    int rank = context.partitionId();
    int workers = context.getTaskInfos().length;
    if (workers != plan.workers()) {
      throw new IllegalStateException("collective segment has " + workers + " tasks, the plan " + plan.workers());
    }
    TwoTowerModel model = new TwoTowerModel(plan.model());
    Optimizer optimizer = plan.optimizer();
    boolean localSteps = plan.syncEvery() > 1;
    Held held = HELD.computeIfAbsent(task.runId() + "/" + rank, k -> new Held());
    HELD.keySet().removeIf(k -> !k.startsWith(task.runId() + "/"));
    synchronized (held) {
      RowOwnership ownership;
      if (held.params == null || held.dirty || held.version != task.globalRound()) {
        ownership = rebuild(held, task, rank, workers, optimizer, localSteps);
      } else {
        ownership = new RowOwnership(workers, plan.seed(), ShardedCheckpoints.tableRows(held.params));
      }
      held.dirty = true;
      Worker.Step step = new Worker.Step(data, Worker.epochOrder(task.runId(), plan.seed(), task.epoch(), data), plan,
          model, plan.loss(), optimizer, task.itemLogQ().value(), task.epoch()).inTask();
      String groupId = task.runId() + "/" + task.globalRound() + "/" + task.attempt();
      Duration timeout = Duration.ofMillis(task.receiveTimeoutMillis());
      PeerGroup group = FileRendezvous.join(rendezvousDir(task.checkpoint(), task.attempt()), groupId, rank, workers,
          FileRendezvous.executorHost(), PeerGroup.Options.defaults().withReceiveTimeout(timeout),
          Worker.executorHadoopConf(), timeout);
      try {
        Collectives collectives = new Collectives(group);
        ShardedExchange exchange = new ShardedExchange(collectives, ownership);
        // Pull: a worker keeps current only the rows its next step reads (and its own), so what it receives per
        // round does not grow with N. Not for local steps (a full replica steps locally) or global negatives (a
        // step reads every worker's items, known only once they are gathered).
        boolean pull = !localSteps && !plan.globalNegatives() && task.pullRows();
        Batch next = null;
        if (pull) {
          next = step.batch(task.firstRound());
          exchange.pull(step.rowsRead(task.firstRound(), next), held.params); // a reused replica may be out of date
        }
        long loopStart = System.nanoTime();
        long version = task.globalRound();
        long examples = 0;
        double lossSum = 0;
        long computeNanos = 0;
        long exchangeNanos = 0;
        long computeCpuNanos = 0;
        long exchangeCpuNanos = 0;
        long sent = 0;
        long received = 0;
        long changed = 0;
        double[] roundLosses = new double[task.endRound() - task.firstRound()];
        long[] roundGradient = new long[roundLosses.length];
        long[] roundStep = new long[roundLosses.length];
        long[] stepNanos = new long[1]; // the owner's step of the current round, set by the callbacks below
        for (int r = task.firstRound(); r < task.endRound(); r++) {
          FailureInjection.maybeFail(task.failureInjection(), version, rank, task.attempt() == 0);
          // A cancelled job only flags its tasks (the job group does not interrupt them): stop at the next round,
          // so the peers fail at once instead of the segment running on (or waiting) after its job is gone.
          context.killTaskIfInterrupted();
          long t0 = System.nanoTime();
          // The round's batch, built once. With global negatives every worker's batch items are all-gathered
          // (B ids each) before the gradient; that wait counts as exchange time, not compute.
          Batch batch = localSteps ? null : pull ? next : step.batch(r);
          long gatherNanos = 0;
          GlobalRound global = null;
          if (plan.globalNegatives()) {
            long g0 = System.nanoTime();
            global = globalBatch(collectives, batch, task.epoch(), r);
            gatherNanos = System.nanoTime() - g0;
          }
          RoundResult mine = localSteps
              ? step.localSteps(held.params, held.state, r, version)
              : step.gradient(held.params, r, batch, global);
          long t1 = System.nanoTime();
          long cpu1 = ThreadCpu.now();
          TensorPatch contribution = new TensorPatch();
          if (mine.examples > 0) {
            TensorPatch[] p = mine.patches();
            contribution = p[0];
            if (localSteps) {
              addDisjoint(contribution, p[1]); // state slots are named "<slot>/<tensor>": no clash with params
            }
          }
          long step1 = version + 1;
          stepNanos[0] = 0;
          ShardedExchange.Outcome outcome;
          if (pull) {
            next = r + 1 < task.endRound() ? step.batch(r + 1) : null;
            outcome = exchange.pullRound(contribution, mine.examples, mine.lossSum, step.rowsRead(r + 1, next),
                held.params, owned -> timed(stepNanos, () -> held.shard.step(owned, step1)));
          } else {
            outcome = exchange.round(contribution, mine.examples, localSteps
                ? owned -> timed(stepNanos, () -> averageOwned(owned, held))
                : owned -> timed(stepNanos, () -> held.shard.step(owned, step1)));
          }
          // A pull round carried every rank's loss sum with the gradients: one exchange fewer per round.
          double roundLoss = pull ? outcome.lossSum() : collectives.allReduceSum(mine.lossSum);
          if (outcome.examples() == 0) {
            throw new IllegalStateException("round " + (r + 1) + " of epoch " + (task.epoch() + 1)
                + " had no examples on any worker");
          }
          TensorPatch values = outcome.newValues();
          if (localSteps) {
            TensorPatch[] split = split(values, held.params);
            held.params.applyPatch(split[0]);
            held.state.applyPatch(split[1]);
          } else if (!pull) { // a pull round has applied the owner's and the pulled values itself
            held.params.applyPatch(values);
          }
          version++;
          examples += outcome.examples();
          lossSum += roundLoss;
          roundLosses[r - task.firstRound()] = roundLoss;
          if (rank == 0 && task.progress() != null) {
            task.progress().roundDone(outcome.examples(), roundLoss); // the driver's progress line, via heartbeats
          }
          computeNanos += t1 - t0 - gatherNanos;
          roundGradient[r - task.firstRound()] = t1 - t0 - gatherNanos;
          roundStep[r - task.firstRound()] = stepNanos[0];
          exchangeNanos += System.nanoTime() - t1 + gatherNanos;
          computeCpuNanos += mine.computeCpuNanos;
          exchangeCpuNanos += ThreadCpu.now() - cpu1;
          sent += exchange.lastSentBytes();
          received += exchange.lastReceivedBytes();
          changed += values.sizeInBytes();
        }
        long loopEnd = System.nanoTime();
        held.version = version;
        OwnerShard mineToWrite = localSteps
            ? OwnerShard.of(held.params, held.state, ownership, rank, optimizer)
            : held.shard;
        ShardedCheckpoints.writeShard(task.checkpoint(), rank, workers, plan.seed(), mineToWrite.params(),
            mineToWrite.state(), held.params, Worker.executorHadoopConf());
        // Everyone's shard is written before any task returns: the driver then completes the checkpoint.
        collectives.barrier();
        held.dirty = false;
        long done = System.nanoTime();
        return List.of(new SegmentResult(rank, version, examples, lossSum, loopStart - entered, loopEnd - loopStart,
            computeNanos, exchangeNanos, computeCpuNanos, exchangeCpuNanos, done - loopEnd, sent, received, changed, roundLosses, roundGradient, roundStep)).iterator();
      } catch (RuntimeException | Error e) {
        group.abort(e.toString()); // the peers fail at once, naming this rank and the cause
        throw e;
      } finally {
        group.close();
      }
    }
  }

  /** {@code work}'s result; its wall time added to {@code nanos[0]}. */
  private static <T> T timed(long[] nanos, java.util.function.Supplier<T> work) {
    long start = System.nanoTime();
    try {
      return work.get();
    } finally {
      nanos[0] += System.nanoTime() - start;
    }
  }

  /** Every worker's batch items of round {@code r} (this worker's from {@code batch}, null when it has none). */
  private static GlobalRound globalBatch(Collectives collectives, Batch batch, int epoch, int r) {
    byte[][] all = collectives.allGather(Collectives.ints(Worker.positivesOf(batch)));
    java.util.List<int[]> byWorker = new java.util.ArrayList<>(all.length);
    for (byte[] b : all) {
      byWorker.add(Collectives.ints(b));
    }
    return GlobalRound.of(epoch, r, byWorker);
  }

  /** Builds the worker's model for the segment's start: from the base checkpoint, or the seeded initialisation. */
  private static RowOwnership rebuild(Held held, SegmentTask task, int rank, int workers, Optimizer optimizer,
                                      boolean localSteps) {
    long start = System.nanoTime();
    TrainingPlan plan = task.plan();
    RowOwnership ownership;
    if (task.baseCheckpoint() == null) {
      held.params = TwoTowerModel.initialParameters(plan.model());
      ownership = new RowOwnership(workers, plan.seed(), ShardedCheckpoints.tableRows(held.params));
      held.state = localSteps ? optimizer.newState(held.params) : null;
      held.shard = localSteps ? null : OwnerShard.of(held.params, null, ownership, rank, optimizer);
    } else {
      Configuration conf = Worker.executorHadoopConf();
      ShardedCheckpoints.Sharding sharding = shardingOf(task.baseCheckpoint(), conf);
      boolean ownShard = !localSteps && sharding != null && sharding.workers() == workers
          && sharding.seed() == plan.seed();
      // Same N: this worker's own shard holds its rows' optimizer state; the replica needs every shard's values.
      Checkpoints.Loaded loaded = Checkpoints.read(task.baseCheckpoint(), conf, !ownShard);
      held.params = loaded.params();
      ownership = new RowOwnership(workers, plan.seed(), ShardedCheckpoints.tableRows(held.params));
      if (ownShard) {
        TensorStore[] mine = ShardedCheckpoints.readShard(task.baseCheckpoint(), rank, workers, conf);
        held.shard = OwnerShard.restore(mine[0], mine[1], ownership, rank, optimizer);
        held.state = null;
      } else {
        held.state = localSteps ? loaded.optimizerState() : null;
        held.shard = localSteps ? null : OwnerShard.of(held.params, loaded.optimizerState(), ownership, rank,
            optimizer);
      }
    }
    held.version = task.globalRound();
    held.dirty = false;
    LOG.info("Collective worker {} of run {}: model at version {} from {} in {} ms", rank, task.runId(),
        task.globalRound(), task.baseCheckpoint() == null ? "the seeded initialisation" : task.baseCheckpoint(),
        (System.nanoTime() - start) / 1_000_000);
    return ownership;
  }

  private static ShardedCheckpoints.Sharding shardingOf(String checkpoint, Configuration conf) {
    try {
      org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(checkpoint);
      var fs = HadoopFiles.fileSystem(dir, conf);
      return ShardedCheckpoints.isSharded(fs, dir) ? ShardedCheckpoints.sharding(fs, dir) : null;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("Could not read " + checkpoint + ": " + e.getMessage(), e);
    }
  }

  /**
   * The owner's half of a local-steps round, {@link Averaging}'s arithmetic on the owned rows: mean change of
   * parameters and optimizer state, added to the replica's current values (not yet applied: every worker applies
   * the all-gathered union).
   */
  private static TensorPatch averageOwned(ShardedExchange.Owned owned, Held held) {
    TensorPatch mean = owned.sum().scale((float) (1.0 / owned.examples()));
    TensorPatch[] split = split(mean, held.params);
    TensorPatch out = TensorPatch.gatherRows(held.params, split[0]).addScaled(split[0], 1f);
    addDisjoint(out, TensorPatch.gatherRows(held.state, split[1]).addScaled(split[1], 1f));
    return out;
  }

  /** {parameter part, optimizer-state part} of a combined patch, by whether params has the tensor. */
  private static TensorPatch[] split(TensorPatch combined, TensorStore params) {
    TensorPatch p = new TensorPatch();
    TensorPatch s = new TensorPatch();
    for (String t : combined.tableNames()) {
      (params.hasTable(t) ? p : s).putRows(t, combined.rows(t));
    }
    for (String d : combined.denseNames()) {
      (params.hasDense(d) ? p : s).putDense(d, combined.dense(d));
    }
    return new TensorPatch[] {p, s};
  }

  private static void addDisjoint(TensorPatch into, TensorPatch other) {
    for (String t : other.tableNames()) {
      if (into.rows(t) != null) {
        throw new IllegalStateException("tensor '" + t + "' in both parts");
      }
      into.putRows(t, other.rows(t));
    }
    for (String d : other.denseNames()) {
      if (into.dense(d) != null) {
        throw new IllegalStateException("tensor '" + d + "' in both parts");
      }
      into.putDense(d, other.dense(d));
    }
  }

  /** Where the segment's attempt meets: inside the checkpoint it will write (removed before it completes). */
  static String rendezvousDir(String checkpoint, int attempt) {
    return checkpoint + "/_rendezvous-" + attempt;
  }

  /** Frees a run's models (called when training ends). */
  static void release(String runId) {
    HELD.keySet().removeIf(k -> k.startsWith(runId + "/"));
  }
}
