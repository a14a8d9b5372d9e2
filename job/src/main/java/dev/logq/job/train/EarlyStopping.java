package dev.logq.job.train;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * train.earlyStopping: follows one validation metric over the epochs (higher is better) and says when
 * {@code patience} epochs in a row brought no improvement. An epoch improves when its value is strictly
 * greater than the best so far (a tie is no improvement, so the earlier, equally good epoch stays the best).
 * Patience 0 never stops; the best epoch is still tracked. Only validation metrics ever reach it: the test
 * split plays no part in any choice.
 */
public final class EarlyStopping implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String metric;
  private final int patience;
  private int bestEpoch = -1;
  private double bestValue = Double.NEGATIVE_INFINITY;
  private int lastEpoch = -1;
  private int epochsWithoutImprovement;

  public EarlyStopping(String metric, int patience) {
    if (patience < 0) {
      throw new IllegalArgumentException("patience must be >= 0, got " + patience);
    }
    this.metric = metric;
    this.patience = patience;
  }

  public String metric() {
    return metric;
  }

  public int patience() {
    return patience;
  }

  /**
   * Records epoch {@code epoch} (1-based) with its validation metrics; returns true when it is the new best.
   *
   * @throws IllegalArgumentException when the metrics lack {@link #metric()}
   */
  public boolean record(int epoch, Map<String, Double> validation) {
    Double v = validation.get(metric);
    if (v == null) {
      throw new IllegalArgumentException("validation metrics lack " + metric + ": " + validation.keySet());
    }
    return record(epoch, v);
  }

  /** Records epoch {@code epoch} (1-based) with the metric's value; returns true when it is the new best. */
  public boolean record(int epoch, double value) {
    lastEpoch = epoch;
    if (bestEpoch < 0 || value > bestValue) {
      bestEpoch = epoch;
      bestValue = value;
      epochsWithoutImprovement = 0;
      return true;
    }
    epochsWithoutImprovement++;
    return false;
  }

  /** True once {@code patience} (> 0) epochs in a row did not improve. */
  public boolean shouldStop() {
    return patience > 0 && epochsWithoutImprovement >= patience;
  }

  /** The best epoch so far (1-based), -1 before the first. */
  public int bestEpoch() {
    return bestEpoch;
  }

  public double bestValue() {
    return bestValue;
  }

  public int lastEpoch() {
    return lastEpoch;
  }

  public int epochsWithoutImprovement() {
    return epochsWithoutImprovement;
  }

  /** What metrics.json records. */
  public Map<String, Object> summary(int plannedEpochs) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("metric", metric);
    m.put("patience", patience);
    m.put("bestEpoch", bestEpoch);
    m.put("bestValue", bestValue);
    m.put("epochsTrained", lastEpoch);
    m.put("plannedEpochs", plannedEpochs);
    m.put("stoppedEarly", shouldStop() && lastEpoch < plannedEpochs);
    String reason;
    if (shouldStop() && lastEpoch < plannedEpochs) {
      reason = String.format(java.util.Locale.ROOT, "%s did not improve for %d epochs (patience %d) after epoch %d",
          metric, epochsWithoutImprovement, patience, bestEpoch);
    } else {
      reason = "all " + plannedEpochs + " epochs trained";
    }
    m.put("reason", reason);
    m.put("outputModel", patience > 0 ? "best epoch (" + bestEpoch + ")" : "last epoch (" + lastEpoch + ")");
    return m;
  }
}
