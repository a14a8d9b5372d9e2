package dev.logq.job.train;

import dev.logq.common.loss.Loss;
import dev.logq.common.loss.Losses;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.Optimizers;
import java.io.Serializable;

/**
 * Everything the distributed trainer needs to know, resolved from the job configuration on the driver:
 * the model spec (with its user tower), the loss and the optimizer are objects, never names, so no task
 * re-parses a setting. Serializable: it travels to the executors inside every round's task.
 *
 * @param negatives extra uniform negatives per local batch (none/standard/refined) or per row (uniform-bce)
 * @param globalNegatives loss.negatives = global: each worker's in-batch negatives are the items of every
 *     worker's batch of the step (the trainer exchanges the batch item ids each round)
 */
public record TrainingPlan(
    ModelSpec model,
    Loss loss,
    int negatives,
    int batchSize,
    int epochs,
    int workers,
    int syncEvery,
    long seed,
    Optimizer optimizer,
    int checkpointEverySteps,
    boolean globalNegatives) implements Serializable {

  public TrainingPlan {
    if (model == null || loss == null || optimizer == null) {
      throw new IllegalArgumentException("the model spec, the loss and the optimizer must be set");
    }
    if (batchSize <= 0 || epochs <= 0 || workers <= 0 || syncEvery <= 0) {
      throw new IllegalArgumentException("batchSize, epochs, workers and syncEvery must be positive");
    }
    if (globalNegatives && (syncEvery != 1 || negatives != 0 || !loss.inBatchNegatives())) {
      throw new IllegalArgumentException("global negatives need an in-batch loss without uniform negatives and"
          + " syncEvery 1, got " + loss.name() + ", " + negatives + " uniform negatives, syncEvery " + syncEvery);
    }
  }

  /** A plan with each worker's own batch as its in-batch negatives (loss.negatives = local). */
  public TrainingPlan(ModelSpec model, Loss loss, int negatives, int batchSize, int epochs, int workers,
                      int syncEvery, long seed, Optimizer optimizer, int checkpointEverySteps) {
    this(model, loss, negatives, batchSize, epochs, workers, syncEvery, seed, optimizer, checkpointEverySteps,
        false);
  }

  /** This plan with loss.negatives = global ({@code true}) or local. */
  public TrainingPlan withGlobalNegatives(boolean global) {
    return new TrainingPlan(model, loss, negatives, batchSize, epochs, workers, syncEvery, seed, optimizer,
        checkpointEverySteps, global);
  }

  /**
   * Resolves the loss and the optimizer from their registries, with the built-in optimizers' hyper-parameters
   * given and any other optimizer setting at its default (tests and benchmarks; the job resolves the optimizer
   * from its configuration, {@code Optimizers.create(name, config)}).
   */
  public TrainingPlan(ModelSpec model, String lossName, boolean standardCorrectPositive, int negatives, int batchSize,
                      int epochs, int workers, int syncEvery, long seed, String optimizer, double learningRate,
                      double adamBeta1, double adamBeta2, double epsilon, int checkpointEverySteps) {
    this(model, Losses.byName(lossName, standardCorrectPositive), negatives, batchSize, epochs, workers, syncEvery,
        seed, Optimizers.create(optimizer, learningRate, adamBeta1, adamBeta2, epsilon), checkpointEverySteps);
  }

  /** The loss's name (loss.type), as reports and logs spell it. */
  public String lossName() {
    return loss.name();
  }

  /** Examples one worker consumes between two synchronisations. */
  public long examplesPerRound() {
    return (long) batchSize * syncEvery;
  }
}
