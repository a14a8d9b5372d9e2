package dev.logq.job.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.report.CurvePoint;
import dev.logq.job.report.TrainingCurveWriter;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputWritersTest {

  @TempDir
  File tmp;

  private static final List<CurvePoint> CURVE = List.of(
      new CurvePoint(1, 10, 2.5, 1234.5), new CurvePoint(1, 20, 2.25, 1300), new CurvePoint(2, 30, 0.1 + 0.2, 1e6));

  @Test
  @SuppressWarnings("unchecked")
  void metricsJsonHoldsMetricsConfigCountsTimingsAndVersions() throws IOException {
    String path = "file://" + new File(tmp, "out").getAbsolutePath();
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("recall@10", 0.125);
    metrics.put("recall@10/head", Double.NaN);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("logq.loss.type", "refined");
    config.put("logq.eval.k", List.of(1, 10));
    try (AtomicOutput out = AtomicOutput.begin(new Configuration(false), path, false, "r9")) {
      new MetricsDocument()
          .run("r9", "2024-01-31", "train", path)
          .versions(Provenance.versions(null))
          .config(config)
          .counts("eval", Map.of("test_users", 42L))
          .timing("train_seconds", 12.5)
          .metrics("refined", metrics)
          .finishedNow()
          .write(out);
      TrainingCurveWriter.write(out, "training_curve", CURVE);
      out.commit();
    }
    Map<String, Object> doc;
    try (InputStream in = new FileInputStream(new File(tmp, "out/metrics.json"))) {
      doc = JsonOutput.readMap(in);
    }
    assertEquals(List.of("run", "versions", "config", "counts", "timings", "metrics"), List.copyOf(doc.keySet()));
    Map<String, Object> refined = (Map<String, Object>) ((Map<String, Object>) doc.get("metrics")).get("refined");
    assertEquals(0.125, refined.get("recall@10"));
    assertTrue(refined.containsKey("recall@10/head"));
    assertNull(refined.get("recall@10/head"), "NaN must be written as null");
    assertEquals("refined", ((Map<String, Object>) doc.get("config")).get("logq.loss.type"));
    assertEquals(42, ((Map<String, Object>) doc.get("counts")).get("eval.test_users"));
    assertEquals(12.5, ((Map<String, Object>) doc.get("timings")).get("train_seconds"));
    Map<String, Object> versions = (Map<String, Object>) doc.get("versions");
    assertEquals("3.5.7", versions.get("spark"));
    assertTrue(((String) versions.get("java")).startsWith("17"), versions.toString());
    Map<String, Object> run = (Map<String, Object>) doc.get("run");
    assertEquals("2024-01-31", run.get("ds"));
    assertTrue(run.containsKey("startedAt") && run.containsKey("finishedAt"));
    String text = Files.readString(new File(tmp, "out/metrics.json").toPath());
    assertTrue(text.contains("\n  \"run\""), "pretty-printed");
  }

  @Test
  @SuppressWarnings("unchecked")
  void trainingCurveCsvAndJson() throws IOException {
    String path = "file://" + new File(tmp, "out").getAbsolutePath();
    try (AtomicOutput out = AtomicOutput.begin(new Configuration(false), path, false, "r1")) {
      TrainingCurveWriter.write(out, "curves/refined", CURVE);
      out.commit();
    }
    List<String> lines = Files.readAllLines(new File(tmp, "out/curves/refined.csv").toPath(), StandardCharsets.UTF_8);
    assertEquals(List.of("epoch,step,loss,examples_per_second", "1,10,2.5,1234.5", "1,20,2.25,1300.0",
        "2,30,0.30000000000000004,1000000.0"), lines);
    List<Object> rows;
    try (InputStream in = new FileInputStream(new File(tmp, "out/curves/refined.json"))) {
      rows = new com.fasterxml.jackson.databind.ObjectMapper().readValue(in, List.class);
    }
    assertEquals(3, rows.size());
    Map<String, Object> last = (Map<String, Object>) rows.get(2);
    assertEquals(2, last.get("epoch"));
    assertEquals(30, last.get("step"));
    assertEquals(0.30000000000000004, last.get("loss"));
    assertEquals(1e6, last.get("examples_per_second"));
  }
}
