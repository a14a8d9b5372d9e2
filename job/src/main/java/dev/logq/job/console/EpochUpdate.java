package dev.logq.job.console;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where training stands, as the console's progress line shows it: epoch {@code epoch} of {@code epochs}
 * (1-based), {@code round} of its {@code rounds} synchronised rounds done, the epoch's mean loss so far, its
 * rate, and the estimated time left for the whole training. {@code metrics} are optional named values shown
 * after the rate in their order, e.g. a validation metric at the end of an epoch ({@code "val recall@10"});
 * {@code done} marks the epoch's last update (its line is final).
 */
public record EpochUpdate(int epoch, int epochs, int round, int rounds, double meanLoss, double examplesPerSecond,
                          double etaSeconds, Map<String, Double> metrics, boolean done) {

  public EpochUpdate {
    metrics = metrics == null || metrics.isEmpty() ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** The same update with {@code more} metrics appended. */
  public EpochUpdate withMetrics(Map<String, Double> more) {
    Map<String, Double> all = new LinkedHashMap<>(metrics);
    all.putAll(more);
    return new EpochUpdate(epoch, epochs, round, rounds, meanLoss, examplesPerSecond, etaSeconds, all, done);
  }
}
