package dev.logq.job.train;

import java.util.List;
import java.util.Map;

/**
 * The driver's position in training, saved with every checkpoint: the next round to run and the
 * training curve so far, so a resumed job continues exactly where the killed one stopped.
 *
 * @param globalRound rounds completed so far (also the model version)
 * @param epoch the epoch the next round belongs to
 * @param roundInEpoch the next round's index inside that epoch
 */
public record TrainerState(long globalRound, int epoch, int roundInEpoch, double epochLossSum,
                           long epochExamples, List<EpochStats> curve) {

  /**
   * One point of the training curve.
   *
   * @param validation the validation metrics at the epoch's end (empty without a validation split, or in a
   *     checkpoint written at that epoch's end, before they were computed)
   */
  public record EpochStats(int epoch, long rounds, long examples, double meanLoss, double seconds,
                           double examplesPerSecond, Map<String, Double> validation) {
    public EpochStats {
      validation = validation == null ? Map.of() : Map.copyOf(validation);
    }

    public EpochStats(int epoch, long rounds, long examples, double meanLoss, double seconds,
                      double examplesPerSecond) {
      this(epoch, rounds, examples, meanLoss, seconds, examplesPerSecond, Map.of());
    }

    public EpochStats withValidation(Map<String, Double> metrics) {
      return new EpochStats(epoch, rounds, examples, meanLoss, seconds, examplesPerSecond, metrics);
    }
  }
}
