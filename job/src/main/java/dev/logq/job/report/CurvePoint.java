package dev.logq.job.report;

/**
 * One point of a training curve.
 *
 * @param epoch the epoch the point belongs to (as the trainer counts them)
 * @param step synchronised steps so far
 * @param loss mean training loss since the previous point
 * @param examplesPerSecond training throughput since the previous point, all workers together
 * @param validation the validation metrics at the epoch's end (split.validation), empty without
 */
public record CurvePoint(int epoch, long step, double loss, double examplesPerSecond,
                         java.util.Map<String, Double> validation) {
  public CurvePoint {
    validation = validation == null ? java.util.Map.of() : java.util.Map.copyOf(validation);
  }

  public CurvePoint(int epoch, long step, double loss, double examplesPerSecond) {
    this(epoch, step, loss, examplesPerSecond, java.util.Map.of());
  }
}
