package dev.logq.job.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.output.AtomicOutput;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @TempDir
  File tmp;

  private static RunSummary run(String loss, double scale, double trainSeconds) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int k : new int[] {1, 10, 20, 100}) {
      m.put("recall@" + k, Math.min(1, scale * k / 100.0));
      m.put("ndcg@" + k, Math.min(1, scale * k / 200.0));
      m.put("hitrate@" + k, Math.min(1, scale * k / 90.0));
      m.put("recall@" + k + "/head", scale * 0.3);
      m.put("recall@" + k + "/torso", scale * 0.2);
      m.put("recall@" + k + "/tail", k == 1 ? Double.NaN : scale * 0.1);
    }
    m.put("mrr", scale * 0.05);
    List<CurvePoint> curve = List.of(new CurvePoint(1, 5, 3.0 * scale, 1000), new CurvePoint(1, 10, 2.0 * scale, 1100),
        new CurvePoint(2, 15, 1.5 * scale, 1200), new CurvePoint(3, 20, 1.2 * scale, 1150));
    return new RunSummary(loss, m, curve, trainSeconds);
  }

  private static final List<RunSummary> RUNS = List.of(run("none", 1.0, 12.34), run("standard", 1.2, 13.0),
      run("refined", 1.4, 15.5), new RunSummary("full", Map.of("recall@10", 0.5), List.of(), Double.NaN));

  @Test
  void writesValidChartsAndAnHtmlPageThatShowsThem() throws IOException {
    String path = "file://" + new File(tmp, "out").getAbsolutePath();
    List<String> written;
    try (AtomicOutput out = AtomicOutput.begin(new Configuration(false), path, false, "r1")) {
      written = ReportWriter.write(out, "report", "logq compare: ml-1m", Map.of("run.id", "r1", "data", "<ml-1m & co>"),
          RUNS, List.of(1, 10, 20, 100), new ComparisonTable(), 10);
      out.commit();
    }
    File dir = new File(tmp, "out/report");
    assertEquals(List.of("report/loss_curve.png", "report/metrics_at_k.png", "report/recall_by_popularity.png",
        "report/comparison.txt", "report/report.html"), written);
    for (String png : List.of(ReportWriter.LOSS_CURVE_PNG, ReportWriter.METRICS_PNG, ReportWriter.POPULARITY_PNG)) {
      File f = new File(dir, png);
      byte[] bytes = Files.readAllBytes(f.toPath());
      assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), png + " is not a PNG");
      assertTrue(bytes.length > 10_000, png + " is suspiciously small: " + bytes.length + " bytes");
      BufferedImage image = ImageIO.read(f);
      assertNotNull(image, png + " does not decode");
      assertEquals(ReportCharts.WIDTH, image.getWidth());
      assertEquals(ReportCharts.HEIGHT, image.getHeight());
      Set<Integer> colors = new HashSet<>();
      for (int y = 0; y < image.getHeight(); y += 3) {
        for (int x = 0; x < image.getWidth(); x += 3) {
          colors.add(image.getRGB(x, y));
        }
      }
      assertTrue(colors.size() > 20, png + " looks blank: " + colors.size() + " colours");
    }
    String html = Files.readString(new File(dir, ReportWriter.HTML).toPath(), StandardCharsets.UTF_8);
    for (String png : List.of(ReportWriter.LOSS_CURVE_PNG, ReportWriter.METRICS_PNG, ReportWriter.POPULARITY_PNG)) {
      assertTrue(html.contains("<img src=\"" + png + "\""), "report.html does not show " + png);
    }
    assertTrue(html.contains("&lt;ml-1m &amp; co&gt;"), "values are HTML-escaped");
    assertTrue(html.contains("<td>refined</td>"));
    assertTrue(html.contains("<td>0.1400</td>"), "refined recall@10 = 1.4 * 10 / 100 in the table");
    String table = Files.readString(new File(dir, ReportWriter.TABLE_TXT).toPath(), StandardCharsets.UTF_8);
    assertEquals(table, new ComparisonTable().render(RUNS));
  }

  @Test
  void aRunWithoutCurveStillRendersAndNoRunIsAClearError() throws IOException {
    RunSummary bare = new RunSummary("none", Map.of("recall@10", 0.2), List.of(), 1.0);
    Map<String, byte[]> files = ReportWriter.render("t", Map.of(), List.of(bare), List.of(10), new ComparisonTable(), 10);
    assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(files.get(ReportWriter.LOSS_CURVE_PNG), 8));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ReportWriter.render("t", Map.of(), List.of(), List.of(10), new ComparisonTable(), 10));
    assertTrue(e.getMessage().contains("at least one"), e.getMessage());
  }

  @Test
  void textTableHasOneAlignedRowPerLoss() {
    String table = new ComparisonTable().render(RUNS);
    List<String> lines = table.lines().toList();
    assertEquals(2 + RUNS.size(), lines.size(), table);
    assertTrue(lines.get(0).startsWith("loss"), table);
    assertTrue(lines.get(0).contains("Recall@10") && lines.get(0).contains("nDCG@20") && lines.get(0).contains("tail R@10"));
    assertTrue(lines.get(1).matches("-+"), table);
    int width = lines.get(0).length();
    for (String line : lines) {
      assertEquals(width, line.length(), "misaligned: [" + line + "]");
    }
    // none: recall@10 0.1, recall@20 0.2, ndcg@10 0.05, ndcg@20 0.1, hr@10 0.1111, mrr 0.05, buckets .3/.2/.1, 12.3 s
    List<String> none = Arrays.asList(lines.get(2).trim().split("\\s+"));
    assertEquals(List.of("none", "0.1000", "0.2000", "0.0500", "0.1000", "0.1111", "0.0500", "0.3000", "0.2000",
        "0.1000", "12.3"), none);
    List<String> full = Arrays.asList(lines.get(5).trim().split("\\s+"));
    assertEquals("0.5000", full.get(1));
    assertEquals("-", full.get(2));
    assertEquals("-", full.get(10));
  }
}
