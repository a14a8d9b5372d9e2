package dev.logq.job.output;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of metrics.json: sections in a fixed order, filled by the job as it goes.
 *
 * <pre>
 * { "run":      { "id", "ds", "mode", "output", "startedAt", "finishedAt" },
 *   "versions": { "logq", "spark", "scala", "hadoop", "java", ... },
 *   "config":   { the effective configuration, key -> value },
 *   "counts":   { "users", "items", "train_pairs", "eval.test_users", ... },
 *   "timings":  { "ingest_seconds", "train_seconds.refined", ... },
 *   "metrics":  { "<loss name>": { "recall@10": ..., "ndcg@10": ..., ... }, ... },
 *   ...         any further section added with put() }
 * </pre>
 * Non-finite metric values are written as {@code null} (see {@link JsonOutput}).
 */
public final class MetricsDocument {

  public static final String FILE_NAME = "metrics.json";

  private final Map<String, Object> root = new LinkedHashMap<>();

  public MetricsDocument() {
    for (String section : new String[] {"run", "versions", "config", "counts", "timings", "metrics"}) {
      root.put(section, new LinkedHashMap<String, Object>());
    }
  }

  /** Run identity: id, ds, mode, output path; startedAt is set now. */
  public MetricsDocument run(String id, String ds, String mode, String outputPath) {
    Map<String, Object> run = section("run");
    run.put("id", id);
    run.put("ds", ds);
    run.put("mode", mode);
    run.put("output", outputPath);
    run.putIfAbsent("startedAt", Instant.now().toString());
    return this;
  }

  public MetricsDocument finishedNow() {
    section("run").put("finishedAt", Instant.now().toString());
    return this;
  }

  public MetricsDocument versions(Map<String, ?> versions) {
    section("versions").putAll(versions);
    return this;
  }

  public MetricsDocument config(Map<String, ?> effectiveConfig) {
    section("config").putAll(effectiveConfig);
    return this;
  }

  /** Adds counts; {@code prefix} (may be empty) is prepended as "prefix." to every key. */
  public MetricsDocument counts(String prefix, Map<String, ? extends Number> counts) {
    Map<String, Object> c = section("counts");
    counts.forEach((k, v) -> c.put(prefix == null || prefix.isEmpty() ? k : prefix + "." + k, v));
    return this;
  }

  public MetricsDocument timing(String name, double seconds) {
    section("timings").put(name, seconds);
    return this;
  }

  /** The metrics of one trained model, under its loss name. */
  public MetricsDocument metrics(String lossName, Map<String, Double> metrics) {
    section("metrics").put(lossName, new LinkedHashMap<>(metrics));
    return this;
  }

  /** Any other top-level section or value (e.g. "bad_records", "planted_distance"). */
  public MetricsDocument put(String key, Object value) {
    root.put(key, value);
    return this;
  }

  public Map<String, Object> toMap() {
    return root;
  }

  public void write(AtomicOutput output) throws IOException {
    JsonOutput.write(output, FILE_NAME, root);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> section(String name) {
    return (Map<String, Object>) root.get(name);
  }
}
