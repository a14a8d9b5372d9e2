package dev.logq.job.train;

import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.optim.Optimizer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor side of parameter synchronisation: model replicas that live in the executor JVM across
 * rounds, so a round ships only the rows that changed, never the whole model.
 *
 * <p>With gradient averaging (syncEvery = 1) tasks only read the replica, so all tasks of a JVM share
 * one. With local steps (syncEvery > 1) every worker updates its own copy between synchronisations,
 * so replicas are per partition; a worker restores its copy after the round (the round's patch then
 * brings it to the averaged model), and a task that dies half-way leaves its replica marked dirty, which
 * forces a rebuild from the base instead of training on from a half-updated model.
 */
final class Replicas {

  private static final Logger LOG = LoggerFactory.getLogger(Replicas.class);
  private static final Map<String, Replica> BY_KEY = new ConcurrentHashMap<>();

  static {
    WorkerKernels.logOnce();
  }

  private Replicas() {}

  /** A model replica: parameters, optimizer state (local steps only) and the version they are at. */
  static final class Replica {
    TensorStore params;
    TensorStore state;
    long version = -1;
    boolean dirty;
  }

  /**
   * Returns the replica for this slot at the source's current version, building or patching it as
   * needed. Callers must hold the replica's monitor while they modify it.
   */
  static Replica acquire(ReplicaSource source, String slot, TrainingPlan plan, TwoTowerModel model,
                         Optimizer optimizer, boolean withState, Supplier<Configuration> hadoopConf) {
    String key = source.runId() + "/" + slot;
    dropOtherRuns(source.runId());
    Replica replica = BY_KEY.computeIfAbsent(key, k -> new Replica());
    synchronized (replica) {
      long target = source.currentVersion();
      if (replica.params == null || replica.dirty || replica.version < source.baseVersion()
          || replica.version > target) {
        rebuild(replica, source, plan, optimizer, withState, hadoopConf);
      }
      for (long v = replica.version + 1; v <= target; v++) {
        RoundPatch patch = RoundPatch.fromBytes(source.patches().get((int) (v - source.baseVersion() - 1)).value());
        if (patch.version != v) {
          throw new IllegalStateException("patch list out of order: expected version " + v + ", got "
              + patch.version);
        }
        replica.params.applyPatch(patch.params);
        if (withState && patch.optimizerState != null) {
          replica.state.applyPatch(patch.optimizerState);
        }
        replica.version = v;
      }
      return replica;
    }
  }

  private static void rebuild(Replica replica, ReplicaSource source, TrainingPlan plan, Optimizer optimizer,
                              boolean withState, Supplier<Configuration> hadoopConf) {
    long start = System.nanoTime();
    if (source.baseCheckpoint() == null) {
      replica.params = TwoTowerModel.initialParameters(plan.model());
      replica.state = withState ? optimizer.newState(replica.params) : null;
    } else {
      Checkpoints.Loaded loaded = Checkpoints.read(source.baseCheckpoint(), hadoopConf.get(), withState);
      replica.params = loaded.params();
      replica.state = withState ? loaded.optimizerState() : null;
    }
    replica.version = source.baseVersion();
    replica.dirty = false;
    LOG.info("Built model replica for run {} at version {} from {} in {} ms", source.runId(),
        source.baseVersion(), source.baseCheckpoint() == null ? "the seeded initialisation" : source.baseCheckpoint(),
        (System.nanoTime() - start) / 1_000_000);
  }

  /** Executors are reused across trainings in one application (compare mode): free old replicas. */
  private static void dropOtherRuns(String runId) {
    BY_KEY.keySet().removeIf(k -> !k.startsWith(runId + "/"));
  }

  /** Frees every replica of a run (called by a cleanup job when training ends). */
  static void release(String runId) {
    BY_KEY.keySet().removeIf(k -> k.startsWith(runId + "/"));
    CollectiveWorker.release(runId);
  }
}
