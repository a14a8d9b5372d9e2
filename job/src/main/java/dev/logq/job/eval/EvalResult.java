package dev.logq.job.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an evaluation produced.
 *
 * @param metrics means keyed by {@link dev.logq.common.eval.MetricNames} (NaN where the mean is over
 *     nothing, e.g. an empty popularity bucket)
 * @param counts how many users, pairs and items took part, and how many were left out and why
 * @param seconds wall-clock time of the evaluation
 */
public record EvalResult(Map<String, Double> metrics, Map<String, Long> counts, double seconds) {

  public EvalResult {
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
  }

  public double metric(String name) {
    Double v = metrics.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no metric '" + name + "'; have " + metrics.keySet());
    }
    return v;
  }
}
