package dev.logq.job.report;

import dev.logq.common.eval.MetricNames;
import dev.logq.common.eval.PopularityBuckets.Bucket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One row per loss: Recall and nDCG at two cut-offs (default 10 and 20), HitRate and the
 * head / torso / tail recall at the first of them, MRR and training time. The same cells feed the
 * text table (logs, stdout, comparison.txt) and the HTML report. A metric the run lacks shows as "-".
 */
public final class ComparisonTable {

  public static final List<Integer> DEFAULT_KS = List.of(10, 20);

  private final List<Integer> ks;

  public ComparisonTable(List<Integer> ks) {
    if (ks == null || ks.isEmpty()) {
      throw new IllegalArgumentException("the comparison table needs at least one cut-off");
    }
    this.ks = List.copyOf(ks);
  }

  public ComparisonTable() {
    this(DEFAULT_KS);
  }

  public List<String> headers() {
    List<String> h = new ArrayList<>();
    h.add("loss");
    ks.forEach(k -> h.add("Recall@" + k));
    ks.forEach(k -> h.add("nDCG@" + k));
    int k0 = ks.get(0);
    h.add("HR@" + k0);
    h.add("MRR");
    h.add("head R@" + k0);
    h.add("torso R@" + k0);
    h.add("tail R@" + k0);
    h.add("train s");
    return h;
  }

  public List<String> row(RunSummary run) {
    List<String> r = new ArrayList<>();
    r.add(run.lossName());
    ks.forEach(k -> r.add(number(run.metric(MetricNames.recall(k)))));
    ks.forEach(k -> r.add(number(run.metric(MetricNames.ndcg(k)))));
    int k0 = ks.get(0);
    r.add(number(run.metric(MetricNames.hitRate(k0))));
    r.add(number(run.metric(MetricNames.MRR)));
    for (Bucket b : Bucket.values()) {
      r.add(number(run.metric(MetricNames.bucketRecall(k0, b))));
    }
    r.add(Double.isFinite(run.trainSeconds()) ? String.format(Locale.ROOT, "%.1f", run.trainSeconds()) : "-");
    return r;
  }

  /** The text table: aligned columns, a rule under the header, one line per run. */
  public String render(List<RunSummary> runs) {
    List<List<String>> lines = new ArrayList<>();
    lines.add(headers());
    runs.forEach(run -> lines.add(row(run)));
    int[] width = new int[headers().size()];
    for (List<String> line : lines) {
      for (int c = 0; c < line.size(); c++) {
        width[c] = Math.max(width[c], line.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int l = 0; l < lines.size(); l++) {
      List<String> line = lines.get(l);
      for (int c = 0; c < line.size(); c++) {
        if (c > 0) {
          sb.append("  ");
        }
        String cell = line.get(c);
        // Loss names left-aligned, numbers right-aligned.
        sb.append(c == 0 ? pad(cell, width[c], false) : pad(cell, width[c], true));
      }
      sb.append('\n');
      if (l == 0) {
        int total = 0;
        for (int w : width) {
          total += w;
        }
        sb.append("-".repeat(total + 2 * (width.length - 1))).append('\n');
      }
    }
    return sb.toString();
  }

  static String number(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "-";
  }

  private static String pad(String s, int width, boolean left) {
    String fill = " ".repeat(Math.max(0, width - s.length()));
    return left ? fill + s : s + fill;
  }
}
