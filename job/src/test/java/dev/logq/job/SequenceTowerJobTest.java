package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.userTower = sequence} end to end through {@link Main#run} on the embedded synthetic data
 * (L 20, d 16, 1 block): the outputs, and the same params.bin bit for bit on local[2] and local[1].
 */
class SequenceTowerJobTest {

  @TempDir
  Path tmp;

  private static final List<String> SEQUENCE = List.of(
      "model.userTower=sequence", "model.sequenceLength=20", "model.sequenceBlocks=1", "model.embeddingDim=16",
      "model.outputDim=16", "train.epochs=2", "train.batchSize=16", "loss.type=refined", "output.report=false",
      // Validation with the sequence tower's user embedding is part of what must match on one and two threads.
      JobRun.WITH_VALIDATION);

  /**
   * Stops and forgets any session of this JVM (an earlier test class's stopped session is still the thread's
   * active one), so that Main.run creates its own with the given master and stops it.
   */
  private static void noSession() {
    scala.Option<SparkSession> active = SparkSession.getActiveSession();
    if (active.isDefined()) {
      active.get().stop();
    }
    scala.Option<SparkSession> dflt = SparkSession.getDefaultSession();
    if (dflt.isDefined()) {
      dflt.get().stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static JobRun run(Path out, String master) {
    noSession();
    String[] more = new String[SEQUENCE.size() + 2];
    SEQUENCE.toArray(more);
    more[SEQUENCE.size()] = "output.path=" + out;
    more[SEQUENCE.size() + 1] = "spark.master=" + master;
    JobRun run = JobRun.tiny(more);
    // Main created its own session (on this master) and stopped it.
    scala.Option<SparkSession> left = SparkSession.getActiveSession();
    assertTrue(left.isEmpty() || left.get().sparkContext().isStopped(), "Main.run left a running session");
    return run;
  }

  @Test
  void trainsEvaluatesExportsAndIsTheSameOnOneAndTwoThreads() throws IOException {
    String previousUi = System.setProperty("spark.ui.enabled", "false");
    Path two = tmp.resolve("local2");
    Path one = tmp.resolve("local1");
    try {
      JobRun a = run(two, "local[2]");
      assertEquals(0, a.exitCode(), a.userMessage());
      JobRun b = run(one, "local[1]");
      assertEquals(0, b.exitCode(), b.userMessage());
    } finally {
      if (previousUi == null) {
        System.clearProperty("spark.ui.enabled");
      } else {
        System.setProperty("spark.ui.enabled", previousUi);
      }
    }
    assertEquals(-1, Arrays.mismatch(Files.readAllBytes(two.resolve("model/params.bin")),
        Files.readAllBytes(one.resolve("model/params.bin"))), "params.bin differs between local[2] and local[1]");

    assertTrue(Files.isRegularFile(two.resolve("_SUCCESS")));
    for (String f : List.of("model/params.bin", "model/spec.json", "model/config.conf", "model/logq-table.bin",
        "curve.csv", "curve.json")) {
      assertTrue(Files.isRegularFile(two.resolve(f)) && Files.size(two.resolve(f)) > 0, f);
    }
    JsonNode spec = JobRun.json(two.resolve("model/spec.json"));
    assertEquals("sequence", spec.path("userTower").asText());
    assertEquals(20, spec.path("sequenceLength").asInt());
    assertEquals(1, spec.path("sequenceBlocks").asInt());
    assertTrue(spec.path("sequenceSharedEmbeddings").asBoolean());

    JsonNode metrics = JobRun.json(two.resolve("metrics.json"));
    JsonNode refined = metrics.at("/metrics/refined");
    for (String m : List.of("recall@1", "recall@10", "ndcg@1", "ndcg@10")) {
      double v = refined.path(m).asDouble(Double.NaN);
      assertTrue(v >= 0 && v <= 1, m + " = " + v);
    }
    assertTrue(refined.path("recall@10").asDouble() >= refined.path("recall@1").asDouble());
    assertEquals("example", metrics.at("/training_refined/placement").asText(), "auto: no per-user rows");
    JsonNode curve = metrics.at("/training_refined/curve");
    assertEquals(2, curve.size(), "one curve point per epoch");
    for (JsonNode p : curve) {
      double loss = p.path("meanLoss").asDouble(Double.NaN);
      assertTrue(Double.isFinite(loss) && loss > 0, "mean loss " + loss);
    }
    int users = metrics.at("/counts/catalog.users").asInt();
    int items = metrics.at("/counts/catalog.items").asInt();
    assertTrue(users > 100 && users <= 120, "users " + users);

    noSession();
    SparkSession spark = SparkTestSession.start("SequenceTowerJobTest");
    try {
      checkEmbeddings(spark, two.resolve("embeddings/users"), users, 120);
      checkEmbeddings(spark, two.resolve("embeddings/items"), items, 80);
    } finally {
      SparkTestSession.stop(spark);
    }
  }

  /** One row per index, distinct original ids, finite 16-vectors of unit norm (l2Normalize). */
  private static void checkEmbeddings(SparkSession spark, Path dir, int expectedRows, int idBound) {
    List<Row> rows = spark.read().parquet(dir.toString()).collectAsList();
    assertEquals(expectedRows, rows.size(), dir.toString());
    Set<String> ids = new HashSet<>();
    for (Row r : rows) {
      String id = r.getAs("id");
      ids.add(id);
      int original = Integer.parseInt(id);
      assertTrue(original >= 0 && original < idBound, id);
      scala.collection.Seq<?> v = r.getAs("embedding");
      assertEquals(16, v.size());
      double norm = 0;
      for (int k = 0; k < 16; k++) {
        double x = ((Number) v.apply(k)).doubleValue();
        assertTrue(Double.isFinite(x));
        norm += x * x;
      }
      assertEquals(1.0, Math.sqrt(norm), 1e-3, dir + " row " + id);
    }
    assertEquals(expectedRows, ids.size());
  }
}
