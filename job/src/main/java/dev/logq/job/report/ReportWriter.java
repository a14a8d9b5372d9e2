package dev.logq.job.report;

import dev.logq.job.output.AtomicOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Renders the whole report (charts, report.html, comparison.txt) and writes it into a staged output. */
public final class ReportWriter {

  public static final String LOSS_CURVE_PNG = "loss_curve.png";
  public static final String METRICS_PNG = "metrics_at_k.png";
  public static final String POPULARITY_PNG = "recall_by_popularity.png";
  public static final String HTML = "report.html";
  public static final String VALIDATION_PNG = "validation_curve.png";
  public static final String TABLE_TXT = "comparison.txt";

  private static final Logger LOG = LoggerFactory.getLogger(ReportWriter.class);

  private ReportWriter() {}

  /**
   * The report files by name, in memory.
   *
   * @param ks the cut-offs evaluated (eval.k), for the Recall/nDCG chart
   * @param table which cut-offs the comparison table shows; its first K is used for the popularity chart
   */
  public static Map<String, byte[]> render(String title, Map<String, String> runInfo, List<RunSummary> runs,
      List<Integer> ks, ComparisonTable table, int popularityK) throws IOException {
    return render(title, runInfo, runs, ks, table, popularityK, null);
  }

  /** {@link #render}, with the chart of the validation metric {@code validationMetric} per epoch when non-null. */
  public static Map<String, byte[]> render(String title, Map<String, String> runInfo, List<RunSummary> runs,
      List<Integer> ks, ComparisonTable table, int popularityK, String validationMetric) throws IOException {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("the report needs at least one trained model");
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(LOSS_CURVE_PNG, ReportCharts.png(ReportCharts.lossCurve(runs)));
    List<String> images = new java.util.ArrayList<>(List.of(LOSS_CURVE_PNG));
    if (validationMetric != null) {
      org.knowm.xchart.XYChart validation = ReportCharts.validationCurve(runs, validationMetric);
      if (validation != null) {
        files.put(VALIDATION_PNG, ReportCharts.png(validation));
        images.add(VALIDATION_PNG);
      }
    }
    images.addAll(List.of(METRICS_PNG, POPULARITY_PNG));
    files.put(METRICS_PNG, ReportCharts.png(ReportCharts.metricsAtK(runs, ks)));
    files.put(POPULARITY_PNG, ReportCharts.png(ReportCharts.recallByPopularity(runs, popularityK)));
    String text = table.render(runs);
    files.put(TABLE_TXT, text.getBytes(StandardCharsets.UTF_8));
    String html = HtmlReport.render(title, runInfo, runs, table, images);
    files.put(HTML, html.getBytes(StandardCharsets.UTF_8));
    return files;
  }

  /**
   * Writes the report under {@code relativeDir} of the staged output (e.g. "report") and returns the
   * relative names written.
   */
  public static List<String> write(AtomicOutput output, String relativeDir, String title, Map<String, String> runInfo,
      List<RunSummary> runs, List<Integer> ks, ComparisonTable table, int popularityK) throws IOException {
    return write(output, relativeDir, title, runInfo, runs, ks, table, popularityK, null);
  }

  /** {@link #write}, with the validation chart of {@code validationMetric} when non-null. */
  public static List<String> write(AtomicOutput output, String relativeDir, String title, Map<String, String> runInfo,
      List<RunSummary> runs, List<Integer> ks, ComparisonTable table, int popularityK, String validationMetric)
      throws IOException {
    Map<String, byte[]> files = render(title, runInfo, runs, ks, table, popularityK, validationMetric);
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      try (OutputStream s = output.create(relativeDir + "/" + f.getKey())) {
        s.write(f.getValue());
      }
    }
    LOG.info("Wrote the report ({} files) to {}/{}", files.size(), output.finalPath(), relativeDir);
    return files.keySet().stream().map(n -> relativeDir + "/" + n).toList();
  }
}
