package dev.logq.job.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the report needs of one trained model: its loss name, its evaluation metrics (keys from
 * {@link dev.logq.common.eval.MetricNames}), its training curve and how long training took.
 */
public record RunSummary(String lossName, Map<String, Double> metrics, List<CurvePoint> curve, double trainSeconds) {

  public RunSummary {
    if (lossName == null || lossName.isBlank()) {
      throw new IllegalArgumentException("a run summary needs a loss name");
    }
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    curve = List.copyOf(curve);
  }

  /** The metric, or NaN when the run does not have it. */
  public double metric(String name) {
    Double v = metrics.get(name);
    return v == null ? Double.NaN : v;
  }
}
