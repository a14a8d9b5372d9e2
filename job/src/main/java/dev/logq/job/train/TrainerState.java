package dev.logq.job.train;

import java.util.List;

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

  /** One point of the training curve. */
  public record EpochStats(int epoch, long rounds, long examples, double meanLoss, double seconds,
                           double examplesPerSecond) {}
}
