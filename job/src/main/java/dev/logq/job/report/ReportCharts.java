package dev.logq.job.report;

import dev.logq.common.eval.MetricNames;
import dev.logq.common.eval.PopularityBuckets.Bucket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** The three charts of the report, as XChart charts and as PNG bytes. */
public final class ReportCharts {

  static {
    // Charts are drawn on drivers without a display; must be set before AWT initialises.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  public static final int WIDTH = 900;
  public static final int HEIGHT = 520;

  private ReportCharts() {}

  /**
   * Mean training loss per epoch, one line per loss. The losses are on different scales (the
   * refined loss can be negative), so the chart shows each one's trend, not a ranking.
   */
  public static XYChart lossCurve(List<RunSummary> runs) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Training loss per epoch").xAxisTitle("epoch").yAxisTitle("mean loss").build();
    style(chart.getStyler());
    chart.getStyler().setMarkerSize(6);
    for (RunSummary run : runs) {
      Map<Integer, double[]> perEpoch = new TreeMap<>();
      for (CurvePoint p : run.curve()) {
        if (Double.isFinite(p.loss())) {
          double[] acc = perEpoch.computeIfAbsent(p.epoch(), e -> new double[2]);
          acc[0] += p.loss();
          acc[1]++;
        }
      }
      if (perEpoch.isEmpty()) {
        continue;
      }
      List<Integer> epochs = new ArrayList<>(perEpoch.keySet());
      List<Double> losses = new ArrayList<>();
      perEpoch.values().forEach(a -> losses.add(a[0] / a[1]));
      chart.addSeries(run.lossName(), epochs, losses);
    }
    return chart;
  }

  /** The validation metric per epoch (split.validation), one line per loss; null when no run has it. */
  public static XYChart validationCurve(List<RunSummary> runs, String metric) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Validation " + metric + " per epoch").xAxisTitle("epoch").yAxisTitle(metric).build();
    style(chart.getStyler());
    chart.getStyler().setMarkerSize(6);
    boolean any = false;
    for (RunSummary run : runs) {
      List<Integer> epochs = new ArrayList<>();
      List<Double> values = new ArrayList<>();
      for (CurvePoint p : run.curve()) {
        Double v = p.validation().get(metric);
        if (v != null && Double.isFinite(v)) {
          epochs.add(p.epoch());
          values.add(v);
        }
      }
      if (!epochs.isEmpty()) {
        chart.addSeries(run.lossName(), epochs, values);
        any = true;
      }
    }
    return any ? chart : null;
  }

  /** Grouped bars: Recall@K and nDCG@K for every K, one bar per loss. */
  public static CategoryChart metricsAtK(List<RunSummary> runs, List<Integer> ks) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Recall@K and nDCG@K").xAxisTitle("metric").yAxisTitle("value").build();
    style(chart.getStyler());
    List<String> categories = new ArrayList<>();
    ks.forEach(k -> categories.add("Recall@" + k));
    ks.forEach(k -> categories.add("nDCG@" + k));
    for (RunSummary run : runs) {
      List<Double> values = new ArrayList<>();
      ks.forEach(k -> values.add(orZero(run.metric(MetricNames.recall(k)))));
      ks.forEach(k -> values.add(orZero(run.metric(MetricNames.ndcg(k)))));
      chart.addSeries(run.lossName(), categories, values);
    }
    return chart;
  }

  /** Grouped bars: recall@k of the test pairs whose item is head / torso / tail, one bar per loss. */
  public static CategoryChart recallByPopularity(List<RunSummary> runs, int k) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Recall@" + k + " by item popularity").xAxisTitle("target item bucket").yAxisTitle("recall@" + k).build();
    style(chart.getStyler());
    List<String> categories = new ArrayList<>();
    for (Bucket b : Bucket.values()) {
      categories.add(b.label());
    }
    for (RunSummary run : runs) {
      List<Double> values = new ArrayList<>();
      for (Bucket b : Bucket.values()) {
        values.add(orZero(run.metric(MetricNames.bucketRecall(k, b))));
      }
      chart.addSeries(run.lossName(), categories, values);
    }
    return chart;
  }

  public static byte[] png(Chart<?, ?> chart) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    return out.toByteArray();
  }

  // A missing metric (e.g. a bucket without test pairs) is drawn as an empty bar; the table says "-".
  private static double orZero(double v) {
    return Double.isFinite(v) ? v : 0.0;
  }

  private static void style(Styler styler) {
    styler.setLegendPosition(Styler.LegendPosition.OutsideE);
    styler.setChartBackgroundColor(java.awt.Color.WHITE);
    styler.setAntiAlias(true);
  }
}
