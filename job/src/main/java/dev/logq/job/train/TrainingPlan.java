package dev.logq.job.train;

import dev.logq.common.model.ModelSpec;
import java.io.Serializable;

/**
 * Everything the distributed trainer needs to know, resolved from the job configuration. Serializable:
 * it travels to the executors inside every round's task.
 */
public record TrainingPlan(
    ModelSpec model,
    String lossName,
    boolean standardCorrectPositive,
    /* extra uniform negatives per local batch (none/standard/refined) or per row (uniform-bce) */
    int negatives,
    int batchSize,
    int epochs,
    int workers,
    int syncEvery,
    long seed,
    String optimizer,
    double learningRate,
    double adamBeta1,
    double adamBeta2,
    double epsilon,
    int checkpointEverySteps) implements Serializable {

  public TrainingPlan {
    if (batchSize <= 0 || epochs <= 0 || workers <= 0 || syncEvery <= 0) {
      throw new IllegalArgumentException("batchSize, epochs, workers and syncEvery must be positive");
    }
  }

  /** Examples one worker consumes between two synchronisations. */
  public long examplesPerRound() {
    return (long) batchSize * syncEvery;
  }
}
