package dev.logq.common.config;

import dev.logq.common.optim.Optimizers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * train.*: optimisation and distribution (the job's train package). The optimizer's keys are declared by
 * {@link Optimizers} and the optimizers it registers; the names train.syncBackend accepts come from the job's
 * registry of backends ({@link Setting#registered}).
 */
public final class TrainSettings extends SettingsView {
  private static final long serialVersionUID = 1L;

  public static final Setting<Integer> BATCH_SIZE = Setting.integer("train.batchSize", 512, 1, 1 << 24, """
      Local batch size per worker (each worker's in-batch negatives).""");
  public static final Setting<Integer> EPOCHS = Setting.integer("train.epochs", 5, 1, 1_000_000, """
      Passes over the training split.""");
  public static final Setting<Integer> WORKERS = Setting.integer("train.workers", 2, 1, 100_000, """
      Data-parallel workers; the training data is split into this many Spark partitions.""");
  public static final Setting<Integer> SYNC_EVERY = Setting.integer("train.syncEvery", 1, 1, Integer.MAX_VALUE, """
      Synchronise every K local steps: 1 averages gradients every step; K > 1 averages parameters
      (and optimizer state) after K local steps.""");
  /** Each backend's own lines follow this one (its DOC, registered with it in the job's DistributedTrainer). */
  public static final Setting<String> SYNC_BACKEND = Setting.registered("train.syncBackend", "auto", """
      How workers exchange gradients each round; every backend gives the same model bit for bit
      (docs/decisions.md).""");
  public static final Setting<ShardPlacement> PLACEMENT = Setting.choice("train.placement", ShardPlacement.AUTO, """
      Which worker trains on an example. example: a seeded hash of (user, item, time), a user's examples
      spread over all workers. user: all of a user's examples on the worker that owns the user's
      embedding row, so with train.syncBackend = collective per-user rows never cross the network
      (measured in docs/benchmarks.md). auto: user for the id tower (one row per user), else example.
      In-batch negatives stay a sample of all items either way; the batches differ, so the model
      differs too (each the same on any executor layout).""");
  public static final Setting<Long> SEED = Setting.longInteger("train.seed", 42, """
      Seed of initialisation, shuffling and sampled negatives.""");
  public static final Setting<Integer> CHECKPOINT_EVERY_STEPS = Setting.integer("train.checkpointEverySteps", 0, 0, Integer.MAX_VALUE, """
      Checkpoint every N synchronised steps (0: only at epoch ends).""");
  public static final Setting<Integer> MAX_PENDING_PATCH_MEGABYTES = Setting.integer("train.maxPendingPatchMegabytes", 512, 0, Integer.MAX_VALUE, """
      rounds backend: checkpoint early once the row patches broadcast since the last checkpoint (kept so
      that a lost replica can be rebuilt) exceed this many MiB, bounding driver and executor memory on
      long epochs; the model is the same bit for bit (0: no bound).""");
  public static final Setting<String> EARLY_STOPPING_METRIC = Setting.nonEmptyText("train.earlyStopping.metric", "recall@10", """
      The validation metric of every epoch's console line and of early stopping: recall@K or ndcg@K
      (validation evaluates eval.k and this K).""");
  public static final Setting<Integer> EARLY_STOPPING_PATIENCE = Setting.integer("train.earlyStopping.patience", 0, 0, Integer.MAX_VALUE, """
      Stop after this many epochs without improvement of the validation metric and output the best
      epoch's model (0: train all epochs; the output is the last epoch's model). Needs split.validation.""");

  /** train.*, in reference.conf's order (the optimizer's keys after train.epochs). */
  public static final List<Setting<?>> SETTINGS;

  static {
    List<Setting<?>> all = new ArrayList<>(List.of(BATCH_SIZE, EPOCHS));
    all.addAll(Optimizers.SETTINGS);
    all.addAll(List.of(WORKERS, SYNC_EVERY, SYNC_BACKEND, PLACEMENT, SEED, CHECKPOINT_EVERY_STEPS, MAX_PENDING_PATCH_MEGABYTES,
        EARLY_STOPPING_METRIC, EARLY_STOPPING_PATIENCE));
    SETTINGS = List.copyOf(all);
  }

  private final String earlyStoppingMetric;

  TrainSettings(SettingReader r) {
    super(r, SETTINGS);
    earlyStoppingMetric = r.get(EARLY_STOPPING_METRIC).toLowerCase(Locale.ROOT);
    if (!earlyStoppingMetric.matches("(recall|ndcg)@[0-9]+")) {
      r.problem("train.earlyStopping.metric", earlyStoppingMetric, "recall@K or ndcg@K, e.g. recall@10");
    }
  }

  public int batchSize() {
    return get(BATCH_SIZE);
  }

  public int epochs() {
    return get(EPOCHS);
  }

  public int workers() {
    return get(WORKERS);
  }

  public int syncEvery() {
    return get(SYNC_EVERY);
  }

  /** The sync backend's registered name (the job's registry, DistributedTrainer). */
  public String syncBackend() {
    return get(SYNC_BACKEND);
  }

  /** As configured ({@link ShardPlacement#AUTO} is resolved with the user tower, see the job's ShardBuilder). */
  public ShardPlacement placement() {
    return get(PLACEMENT);
  }

  public long seed() {
    return get(SEED);
  }

  public int checkpointEverySteps() {
    return get(CHECKPOINT_EVERY_STEPS);
  }

  public int maxPendingPatchMegabytes() {
    return get(MAX_PENDING_PATCH_MEGABYTES);
  }

  /** The validation metric shown per epoch and used by early stopping, e.g. recall@10. */
  public String earlyStoppingMetric() {
    return earlyStoppingMetric;
  }

  /** Epochs without improvement of the validation metric before training stops (0: never stop early). */
  public int earlyStoppingPatience() {
    return get(EARLY_STOPPING_PATIENCE);
  }
}
