package dev.logq.job.train;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the model costs in memory during training, per JVM, once every table row has been trained (tables are
 * chunked and lazy, so a row costs nothing until its chunk is first written; a real catalog touches every chunk
 * in its first epoch). With P the parameter bytes (4 x dim per table row, summed over the tables: item and user
 * tables, or the history tower's two item tables) and S the optimizer state bytes (Adam: 2P, Adagrad: P, SGD: 0):
 *
 * <table>
 *   <caption>model bytes per JVM</caption>
 *   <tr><th>backend, syncEvery</th><th>driver</th><th>executor running T of the N workers</th></tr>
 *   <tr><td>rounds, 1</td><td>P + S (the master and its optimizer)</td><td>P (one replica its tasks share)</td></tr>
 *   <tr><td>rounds, K &gt; 1</td><td>P + S</td><td>T (P + S) (a replica with its state per worker)</td></tr>
 *   <tr><td>collective, 1</td><td>0 (P after training)</td><td>T (P + (P + S) / N) (a replica and the owned shard)</td></tr>
 *   <tr><td>collective, K &gt; 1</td><td>0 (P after training)</td><td>T (P + S)</td></tr>
 * </table>
 *
 * In local mode the driver and the executor are one JVM, so the two columns add. Beyond the model: the rounds
 * backend's broadcast patches since the last checkpoint (at most train.maxPendingPatchMegabytes on the driver and
 * in each executor), and, after training, the evaluation's copies (README, "Memory").
 *
 * @param paramBytes  P
 * @param stateBytes  S
 * @param driverBytes the driver's model bytes while training
 * @param taskBytes   the model bytes one worker adds to its executor (for rounds with syncEvery 1, the shared
 *                    replica is counted once per executor in {@link #executorBytes})
 */
public record MemoryEstimate(long paramBytes, long stateBytes, long driverBytes, long taskBytes, boolean sharedReplica) {

  /** The estimate for a training plan on a backend ({@link DistributedTrainer#ROUNDS} or {@link DistributedTrainer#COLLECTIVE}). */
  public static MemoryEstimate of(TrainingPlan plan, String backend) {
    TensorStore params = TwoTowerModel.initialParameters(plan.model()); // lazy tables: shapes only, no rows
    long p = fullBytes(params);
    long s = fullBytes(plan.optimizer().newState(params));
    boolean collective = DistributedTrainer.COLLECTIVE.equals(backend);
    boolean averaging = plan.syncEvery() == 1;
    if (!collective) {
      return averaging ? new MemoryEstimate(p, s, p + s, p, true) : new MemoryEstimate(p, s, p + s, p + s, false);
    }
    long owned = (p + s + plan.workers() - 1) / plan.workers();
    return new MemoryEstimate(p, s, 0, averaging ? p + owned : p + s, false);
  }

  /** Bytes of a store with every table row materialised. */
  static long fullBytes(TensorStore store) {
    long bytes = 0;
    for (String name : store.tableNames()) {
      EmbeddingTable t = store.table(name);
      bytes += 4L * t.rows() * t.dim();
    }
    for (String name : store.denseNames()) {
      bytes += 4L * store.dense(name).length;
    }
    return bytes;
  }

  /** The model bytes of an executor that runs {@code tasks} workers at once. */
  public long executorBytes(int tasks) {
    return sharedReplica ? taskBytes : tasks * taskBytes;
  }

  /** Driver and executor in one JVM (local mode) running {@code tasks} workers. */
  public long localModeBytes(int tasks) {
    return driverBytes + executorBytes(tasks);
  }

  /** For metrics.json. */
  public Map<String, Object> toMap(int tasksPerExecutor) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("param_bytes", paramBytes);
    m.put("optimizer_state_bytes", stateBytes);
    m.put("driver_model_bytes", driverBytes);
    m.put("executor_model_bytes", executorBytes(tasksPerExecutor));
    m.put("tasks_per_executor", tasksPerExecutor);
    return m;
  }

  /** "driver 1.2 GiB, executor (2 workers) 400 MiB". */
  public String describe(int tasksPerExecutor) {
    return "driver " + bytes(driverBytes) + ", each executor running " + tasksPerExecutor + " worker"
        + (tasksPerExecutor == 1 ? "" : "s") + " " + bytes(executorBytes(tasksPerExecutor));
  }

  public static String bytes(long b) {
    if (b >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
    }
    return String.format(Locale.ROOT, "%.0f MiB", b / (double) (1L << 20));
  }
}
