package dev.logq.job.train;

import dev.logq.common.loss.Loss;
import dev.logq.common.model.Batch;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.optim.Optimizer;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.deploy.SparkHadoopUtil;

/**
 * What a Spark task does in one round, on one partition (one worker): bring the model replica to the
 * round's version, take this worker's next local batch(es) in its seeded epoch order, and return either
 * the gradient (syncEvery = 1) or the change made by syncEvery local optimizer steps.
 *
 * <p>The result depends only on (shard, model version, seed, epoch, round, partition), never on which
 * executor runs the task or how often it is retried: that is what makes runs reproducible bit for bit.
 */
final class Worker {

  /**
   * Each task thread's step arrays (two batch x columns floats, 8 MB at B = 1,024). Per thread, not per Step: the
   * rounds backend builds a Step every round, and fresh 4 MB arrays each round are G1 humongous allocations that can
   * keep it marking through training (docs/benchmarks.md, "Step arrays and G1"). A Step runs on the thread that built
   * it, one at a time; the arrays go with the thread (Spark's task pool lets idle threads die after a minute).
   */
  private static final ThreadLocal<TwoTowerModel.StepScratch> THREAD_SCRATCH =
      ThreadLocal.withInitial(TwoTowerModel.StepScratch::new);

  /** Epoch orders are recomputed only when the epoch changes; keyed by run, partition and epoch. */
  private static final Map<String, int[]> ORDERS = new ConcurrentHashMap<>();

  private Worker() {}

  static Iterator<RoundResult> run(Iterator<TrainingShard> partition, RoundTask task) {
    long entered = System.nanoTime();
    long enteredCpu = ThreadCpu.now();
    TrainingShard shard = partition.next();
    TaskContext context = TaskContext.get();
    if (context != null) {
      FailureInjection.maybeFail(task.failureInjection(), task.globalRound(), shard.partition(),
          context.attemptNumber() == 0);
    }
    TrainingPlan plan = task.plan();
    TwoTowerModel model = new TwoTowerModel(plan.model());
    Loss loss = plan.loss();
    Optimizer optimizer = plan.optimizer();
    // Building a Hadoop Configuration parses XML (tens of ms): only a replica rebuild from a checkpoint needs it.
    Supplier<Configuration> hadoopConf = Worker::executorHadoopConf;
    int[] order = epochOrder(task, shard);
    RoundResult result = plan.syncEvery() == 1
        ? gradientRound(shard, order, task, model, loss, optimizer, hadoopConf)
        : localStepsRound(shard, order, task, model, loss, optimizer, hadoopConf);
    result.taskNanos = System.nanoTime() - entered;
    result.taskCpuNanos = ThreadCpu.now() - enteredCpu;
    return java.util.List.of(result).iterator();
  }

  private static RoundResult gradientRound(TrainingShard shard, int[] order, RoundTask task, TwoTowerModel model,
                                           Loss loss, Optimizer optimizer, Supplier<Configuration> hadoopConf) {
    TrainingPlan plan = task.plan();
    Step step = new Step(shard, order, plan, model, loss, optimizer, task.itemLogQ().value(), task.epoch());
    Batch batch = step.batch(task.roundInEpoch());
    RoundResult result;
    if (batch == null) {
      result = RoundResult.empty(shard.partition()); // no replica needed when this shard is exhausted
    } else {
      Replicas.Replica replica = Replicas.acquire(task.source(), "shared", plan, model, optimizer, false, hadoopConf);
      GlobalRound global = task.global() == null ? null
          : task.global().checkedFor(task.epoch(), task.roundInEpoch(), plan.workers());
      result = step.gradient(replica.params, task.roundInEpoch(), batch, global);
    }
    if (plan.globalNegatives()) {
      result.nextRoundItems = positivesOf(step.batch(task.roundInEpoch() + 1));
    }
    return result;
  }

  /** A batch's positive items, the ids global negatives exchange; empty for a worker without a batch (null). */
  static int[] positivesOf(Batch batch) {
    return batch == null ? new int[0] : batch.positiveItems();
  }

  /**
   * Global negatives: this worker's batch items of round {@code roundInEpoch} of {@code epoch} (empty when its
   * shard has no batch there), for the driver to assemble a round's global batch when no previous round
   * carried it (an epoch's first round, a resumed run).
   */
  static Iterator<int[]> roundItems(Iterator<TrainingShard> partition, TrainingPlan plan, String runId, int epoch,
                                    int roundInEpoch) {
    TrainingShard shard = partition.next();
    int[] order = epochOrder(runId, plan.seed(), epoch, shard);
    return java.util.List.of(positivesOf(batch(shard, order, roundInEpoch, plan.batchSize()))).iterator();
  }

  private static RoundResult localStepsRound(TrainingShard shard, int[] order, RoundTask task, TwoTowerModel model,
                                             Loss loss, Optimizer optimizer, Supplier<Configuration> hadoopConf) {
    TrainingPlan plan = task.plan();
    Replicas.Replica replica = Replicas.acquire(task.source(), "worker-" + shard.partition(), plan, model,
        optimizer, true, hadoopConf);
    synchronized (replica) {
      replica.dirty = true;
      RoundResult result = new Step(shard, order, plan, model, loss, optimizer, task.itemLogQ().value(), task.epoch())
          .localSteps(replica.params, replica.state, task.roundInEpoch(), task.globalRound());
      replica.dirty = false;
      return result;
    }
  }

  /**
   * One worker's computation for a round on a given replica, shared by both synchronisation backends:
   * the gradient of its next local batch, or syncEvery local optimizer steps reported as a change.
   */
  static final class Step {
    private final TrainingShard shard;
    private final int[] order;
    private final TrainingPlan plan;
    private final TwoTowerModel model;
    private final Loss loss;
    private final Optimizer optimizer;
    private final double[] itemLogQ;
    private final int epoch;
    private boolean encode = true;
    /** The step's score arrays: its task thread's, so they are reused across rounds and tasks. */
    private final TwoTowerModel.StepScratch scratch = THREAD_SCRATCH.get();

    Step(TrainingShard shard, int[] order, TrainingPlan plan, TwoTowerModel model, Loss loss, Optimizer optimizer,
         double[] itemLogQ, int epoch) {
      this.shard = shard;
      this.order = order;
      this.plan = plan;
      this.model = model;
      this.loss = loss;
      this.optimizer = optimizer;
      this.itemLogQ = itemLogQ;
      this.epoch = epoch;
    }

    /**
     * Results for use in this task only (the collective backend exchanges them itself): the patches are not
     * encoded for shipping, which saved an encode and a decode of the whole gradient every round.
     */
    Step inTask() {
      this.encode = false;
      return this;
    }

    /**
     * The example-summed gradient of the round's {@code batch} ({@link #batch(int)}, null when the shard is
     * exhausted) at {@code params} (which are only read); with {@code global} (global negatives) the batch is
     * scored against the whole round's items, of which this worker's own are at {@code global.offset(partition)}.
     */
    RoundResult gradient(TensorStore params, int roundInEpoch, Batch batch, GlobalRound global) {
      if (batch == null) {
        return RoundResult.empty(shard.partition());
      }
      if (global != null) {
        batch = batch.inRound(global.items, global.offset(shard.partition()));
      }
      long start = System.nanoTime();
      long startCpu = ThreadCpu.now();
      TensorPatch grad = new TensorPatch();
      double meanLoss = model.lossAndGradient(params, batch, loss, itemLogQ, plan.negatives(),
          rng(roundInEpoch, 0), grad, scratch);
      // Weighted by the loss rows (batch.size: examples, or a sequence batch's positions), so the driver's
      // average over workers is the mean over every loss row of the round (Averaging divides by their sum).
      grad.scale(batch.size);
      long cpu = ThreadCpu.now() - startCpu;
      RoundResult result = new RoundResult(shard.partition(), batch.size, meanLoss * batch.size, grad, null,
          System.nanoTime() - start, encode);
      result.computeCpuNanos = cpu;
      return result;
    }

    /**
     * syncEvery optimizer steps on {@code params}/{@code state}, returned as the example-weighted change;
     * the replica is put back to its values before the round, ready for the averaged update.
     */
    RoundResult localSteps(TensorStore params, TensorStore state, int roundInEpoch, long globalRound) {
      long start = System.nanoTime();
      long startCpu = ThreadCpu.now();
      LocalChanges changes = new LocalChanges(params, state, optimizer);
      long examples = 0;
      double lossSum = 0;
      try {
        for (int k = 0; k < plan.syncEvery(); k++) {
          Batch batch = Worker.batch(shard, order, (long) roundInEpoch * plan.syncEvery() + k, plan.batchSize());
          if (batch == null) {
            break;
          }
          TensorPatch grad = new TensorPatch();
          double meanLoss = model.lossAndGradient(params, batch, loss, itemLogQ, plan.negatives(),
              rng(roundInEpoch, k), grad, scratch);
          changes.rememberBefore(grad);
          optimizer.step(params, state, grad, globalRound * plan.syncEvery() + k + 1);
          examples += batch.size;
          lossSum += meanLoss * batch.size;
        }
        if (examples == 0) {
          return RoundResult.empty(shard.partition());
        }
        TensorPatch paramDelta = changes.paramDelta().scale(examples);
        TensorPatch stateDelta = changes.stateDelta().scale(examples);
        long cpu = ThreadCpu.now() - startCpu;
        RoundResult result = new RoundResult(shard.partition(), examples, lossSum, paramDelta, stateDelta,
            System.nanoTime() - start, encode);
        result.computeCpuNanos = cpu;
        return result;
      } finally {
        changes.restore();
      }
    }

    /**
     * The table rows {@link #gradient} of round {@code roundInEpoch} on {@code batch} reads (its candidate draws
     * replayed from the same seed); empty for no batch.
     */
    java.util.Map<String, int[]> rowsRead(int roundInEpoch, Batch batch) {
      return batch == null ? java.util.Map.of()
          : model.rowsRead(batch, loss, plan.negatives(), rng(roundInEpoch, 0));
    }

    /** This worker's batch of round {@code roundInEpoch} (syncEvery 1), or null when its shard is exhausted. */
    Batch batch(int roundInEpoch) {
      return Worker.batch(shard, order, roundInEpoch, plan.batchSize());
    }

    private SplittableRandom rng(int roundInEpoch, int localStep) {
      return new SplittableRandom(Seeds.mix(plan.seed(), 0xBA7C4L, epoch, roundInEpoch, shard.partition(),
          localStep));
    }
  }

  /** A SparkEnv's Hadoop configuration: built once per executor (and per SparkContext in one JVM). */
  private record EnvConf(SparkEnv env, Configuration conf) {}

  private static volatile EnvConf hadoopConfOfEnv;

  /**
   * The executor's Hadoop configuration, read-only (callers never set anything in it). Built once per SparkEnv:
   * building one parses XML (6-8 ms warm, measured), and a collective segment needed two per worker.
   */
  static Configuration executorHadoopConf() {
    SparkEnv env = SparkEnv.get();
    EnvConf cached = hadoopConfOfEnv;
    if (cached != null && cached.env() == env) {
      return cached.conf();
    }
    Configuration conf = SparkHadoopUtil.get().newConfiguration(env.conf());
    hadoopConfOfEnv = new EnvConf(env, conf);
    return conf;
  }

  /**
   * The local batch for a step of the epoch, or null when this worker's shard is exhausted: batchSize examples
   * (for sequence shards batchSize windows, whose loss rows are their positions).
   */
  static Batch batch(TrainingShard shard, int[] order, long localStep, int batchSize) {
    long from = localStep * batchSize;
    if (from >= shard.size()) {
      return null;
    }
    int n = (int) Math.min(batchSize, shard.size() - from);
    int length = shard.historyLength();
    if (shard.isSequence()) {
      // batchSize windows; the loss rows are their positions (Batch.size), which also weight the averaging.
      int[] inputs = new int[n * length];
      int[] targets = new int[n * length];
      for (int i = 0; i < n; i++) {
        int row = order[(int) from + i];
        shard.copyHistory(row, inputs, i * length);
        shard.copyTargets(row, targets, i * length);
      }
      return Batch.ofSequences(n, length, inputs, targets);
    }
    int[] users = new int[n];
    int[] items = new int[n];
    int[] history = new int[n * length];
    for (int i = 0; i < n; i++) {
      int row = order[(int) from + i];
      users[i] = shard.user(row);
      items[i] = shard.item(row);
      if (length > 0) {
        shard.copyHistory(row, history, i * length);
      }
    }
    return new Batch(n, users, items, length > 0 ? history : null);
  }

  private static int[] epochOrder(RoundTask task, TrainingShard shard) {
    return epochOrder(task.source().runId(), task.plan().seed(), task.epoch(), shard);
  }

  static int[] epochOrder(String runId, long seed, int epoch, TrainingShard shard) {
    String key = runId + "/" + shard.partition() + "/" + epoch;
    int[] order = ORDERS.get(key);
    if (order == null) {
      String run = runId + "/";
      String prefix = run + shard.partition() + "/";
      // Keep other partitions' orders (tasks of one JVM share this map); drop older epochs and runs.
      ORDERS.keySet().removeIf(k -> !k.startsWith(run) || k.startsWith(prefix));
      order = shard.epochOrder(seed, epoch);
      ORDERS.put(key, order);
    }
    return order;
  }
}
