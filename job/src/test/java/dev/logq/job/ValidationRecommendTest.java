package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through Main: the validation split's per-epoch metrics (the same bits on local[1] and local[2],
 * in curve.csv, metrics.json and the report), output.recommendK against a brute-force top K of the written
 * embeddings, and the recommend mode: a history-tower round trip for new users and its bad inputs.
 */
class ValidationRecommendTest {

  @TempDir
  Path tmp;

  /** user -> items in time order; every user has 5 to 9 interactions over 40 items. */
  private static Map<String, List<String>> histories(String prefix, int users, long seed) {
    Random rnd = new Random(seed);
    Map<String, List<String>> out = new TreeMap<>();
    for (int u = 0; u < users; u++) {
      List<String> items = new ArrayList<>();
      int n = 5 + rnd.nextInt(5);
      int cluster = rnd.nextInt(4);
      for (int j = 0; j < n; j++) {
        items.add("i" + (rnd.nextDouble() < 0.7 ? cluster * 10 + rnd.nextInt(10) : rnd.nextInt(40)));
      }
      out.put(prefix + u, items);
    }
    return out;
  }

  private static Path csv(Path file, Map<String, List<String>> histories) throws IOException {
    StringBuilder sb = new StringBuilder("user_id,item_id,timestamp\n");
    histories.forEach((u, items) -> {
      for (int j = 0; j < items.size(); j++) {
        sb.append(u).append(',').append(items.get(j)).append(',').append(1000 + j).append('\n');
      }
    });
    Files.writeString(file, sb.toString());
    return file;
  }

  private static List<String> args(Path input, Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("input.path=" + input, "input.format=csv",
        "model.embeddingDim=8", "model.outputDim=8", "train.batchSize=32", "train.workers=2", "eval.k=[1,10]",
        "output.path=" + out));
    a.addAll(Arrays.asList(more));
    return a;
  }

  /** curve.csv without the examples_per_second column (wall-clock). */
  private static List<String> curveWithoutRate(Path out) throws IOException {
    List<String> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("curve.csv"))) {
      List<String> cells = new ArrayList<>(Arrays.asList(line.split(",", -1)));
      cells.remove(3);
      rows.add(String.join(",", cells));
    }
    return rows;
  }

  private static JsonNode training(JsonNode metrics) {
    Iterator<String> names = metrics.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (n.startsWith("training_")) {
        return metrics.get(n);
      }
    }
    throw new AssertionError("no training_<loss> in metrics.json");
  }

  private static Map<String, float[]> embeddings(SparkSession spark, Path dir) {
    Map<String, float[]> out = new HashMap<>();
    for (Row r : spark.read().parquet(dir.toString()).collectAsList()) {
      List<Float> v = r.getList(r.fieldIndex("embedding"));
      float[] f = new float[v.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = v.get(i);
      }
      out.put(r.getString(r.fieldIndex("id")), f);
    }
    return out;
  }

  /** user -> recommended items best first, and their scores. */
  private static Map<String, List<Object[]>> recommendations(SparkSession spark, Path dir) {
    Map<String, List<Object[]>> out = new TreeMap<>();
    for (Row r : spark.read().parquet(dir.toString()).orderBy("user", "rank").collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new Object[] {r.getString(2), r.getFloat(3)});
    }
    return out;
  }

  @Test
  void validationMetricsAreDeterministicAndRecommendationsAreTheBruteForceTopK() throws IOException {
    Map<String, List<String>> data = histories("u", 70, 5);
    Path input = csv(tmp.resolve("train.csv"), data);
    Map<String, List<Integer>> curves = new HashMap<>();
    List<List<String>> curveRows = new ArrayList<>();
    for (String master : List.of("local[1]", "local[2]")) {
      SparkTestSession.stopShared(); // Main.run starts its own session of that master
      Path out = tmp.resolve("out-" + master.charAt(6));
      JobRun run = JobRun.of(args(input, out, "train.epochs=3", "spark.master=" + master, "output.recommendK=5",
          "split.validationUsers=40", "train.earlyStopping.metric=ndcg@10"));
      assertEquals(0, run.exitCode(), run.userMessage());
      curveRows.add(curveWithoutRate(out));
      assertTrue(Files.isRegularFile(out.resolve("report/validation_curve.png")), "the report's validation chart");
    }
    List<String> header = Arrays.asList(curveRows.get(0).get(0).split(","));
    assertTrue(header.containsAll(List.of("val_recall@10", "val_ndcg@10", "val_recall@1")), header.toString());
    assertEquals(4, curveRows.get(0).size(), "a row per epoch");
    assertEquals(curveRows.get(0), curveRows.get(1), "validation metrics (and losses) local[1] = local[2]");
    for (String row : curveRows.get(0).subList(1, 4)) {
      for (String cell : row.split(",")) {
        assertFalse(cell.isEmpty(), "every epoch has its validation metrics: " + row);
      }
    }

    Path out = tmp.resolve("out-2");
    JsonNode metrics = JobRun.json(out.resolve("metrics.json"));
    JsonNode v = training(metrics).get("validation");
    assertEquals("ndcg@10", v.get("metric").asText());
    assertTrue(v.get("bestEpoch").asInt() >= 1 && v.get("bestEpoch").asInt() <= 3, v.toString());
    assertEquals("all 3 epochs trained", v.get("reason").asText());
    JsonNode vs = metrics.get("validation_split");
    long trainRows = metrics.at("/split/trainRows").asLong();
    assertEquals(trainRows, vs.get("fitRows").asLong() + vs.get("validationRowsBeforeColdStart").asLong(),
        "the validation rows come out of the training part");
    assertEquals(metrics.at("/counts/catalog.train_pairs").asLong(), vs.get("fitRows").asLong(),
        "the model trains on the training part minus the validation rows");

    SparkSession spark = SparkTestSession.start("ValidationRecommendTest");
    try {
      Map<String, float[]> users = embeddings(spark, out.resolve("embeddings/users"));
      Map<String, float[]> items = embeddings(spark, out.resolve("embeddings/items"));
      Map<String, List<Object[]>> recs = recommendations(spark, out.resolve("recommendations"));
      assertEquals(metrics.at("/training_" + metrics.at("/config/loss.type").asText() + "/eval_counts/test_users")
          .asLong(), recs.size(), "one list per test user");
      int checked = 0;
      for (String u : List.of("u0", "u3", "u17", "u42", "u69")) {
        List<String> h = data.get(u);
        Set<String> seen = new HashSet<>(h.subList(0, h.size() - 1));  // the training part: all but the last
        float[] e = users.get(u);
        List<Object[]> scored = new ArrayList<>();
        for (Map.Entry<String, float[]> it : items.entrySet()) {
          if (!seen.contains(it.getKey())) {
            double s = 0;
            for (int d = 0; d < e.length; d++) {
              s += (double) e[d] * it.getValue()[d];
            }
            scored.add(new Object[] {it.getKey(), s});
          }
        }
        scored.sort((a, b) -> Double.compare((double) b[1], (double) a[1]));
        List<Object[]> got = recs.get(u);
        assertEquals(5, got.size(), u);
        for (int r = 0; r < 5; r++) {
          assertFalse(seen.contains((String) got.get(r)[0]), u + " is recommended an item it has seen");
          assertEquals((String) scored.get(r)[0], got.get(r)[0], u + " rank " + (r + 1));
          assertEquals((double) scored.get(r)[1], (float) got.get(r)[1], 1e-5, u + " score at rank " + (r + 1));
        }
        checked++;
      }
      assertEquals(5, checked);
    } finally {
      spark.stop();
    }
  }

  @Test
  void recommendModeRoundTripAndBadInputs() throws IOException {
    // One local[2] session for every run of this test (Main.run uses the active one): no start and stop per run.
    SparkSession spark = SparkTestSession.start("ValidationRecommendTest");
    Path input = csv(tmp.resolve("train.csv"), histories("u", 60, 9));
    Path model = tmp.resolve("model");
    JobRun train = JobRun.of(args(input, model, "train.epochs=2", "model.userTower=history", "spark.master=local[2]",
        "output.report=false"));
    assertEquals(0, train.exitCode(), train.userMessage());

    Map<String, List<String>> fresh = histories("new", 6, 77);
    Path newUsers = csv(tmp.resolve("new.csv"), fresh);
    Path recsOut = tmp.resolve("recs");
    JobRun rec = JobRun.of(args(newUsers, recsOut, "--mode", "recommend", "recommend.modelPath=" + model,
        "model.userTower=history", "output.recommendK=4", "spark.master=local[2]"));
    assertEquals(0, rec.exitCode(), rec.userMessage());
    assertTrue(Files.isRegularFile(recsOut.resolve("_SUCCESS")));

    // Bad inputs: each names the file and what is wrong, has its exit code, and writes nothing.
    Path bad = tmp.resolve("bad");
    JobRun missing = JobRun.of(args(newUsers, bad, "--mode", "recommend", "recommend.modelPath=" + tmp.resolve("nope"),
        "model.userTower=history", "output.recommendK=4", "spark.master=local[2]"));
    assertEquals(3, missing.exitCode(), missing.userMessage());
    assertTrue(missing.userMessage().contains(tmp.resolve("nope").toString())
        && missing.userMessage().contains("no such model directory"), missing.userMessage());

    JobRun otherConfig = JobRun.of(args(newUsers, bad, "--mode", "recommend", "recommend.modelPath=" + model,
        "model.userTower=history", "model.embeddingDim=16", "model.outputDim=16", "output.recommendK=4",
        "spark.master=local[2]"));
    assertEquals(2, otherConfig.exitCode(), otherConfig.userMessage());
    assertTrue(otherConfig.userMessage().contains("model.embeddingDim: trained with 8, this run has 16")
        && otherConfig.userMessage().contains("model/config.conf"), otherConfig.userMessage());

    Map<String, List<String>> unknown = new TreeMap<>(fresh);
    unknown.put("newX", List.of("i1", "zzz-not-an-item", "i2"));
    Path unknownItems = csv(tmp.resolve("unknown.csv"), unknown);
    JobRun unknownRun = JobRun.of(args(unknownItems, bad, "--mode", "recommend", "recommend.modelPath=" + model,
        "model.userTower=history", "output.recommendK=4", "spark.master=local[2]"));
    assertEquals(3, unknownRun.exitCode(), unknownRun.userMessage());
    assertTrue(unknownRun.userMessage().contains(unknownItems.toString())
        && unknownRun.userMessage().contains("'zzz-not-an-item'"), unknownRun.userMessage());

    Path idModel = tmp.resolve("id-model");
    JobRun idTrain = JobRun.of(args(input, idModel, "train.epochs=1", "spark.master=local[2]", "output.report=false",
        "split.validation=none"));
    assertEquals(0, idTrain.exitCode(), idTrain.userMessage());
    JobRun idNew = JobRun.of(args(newUsers, bad, "--mode", "recommend", "recommend.modelPath=" + idModel,
        "output.recommendK=4", "spark.master=local[2]"));
    assertEquals(3, idNew.exitCode(), idNew.userMessage());
    assertTrue(idNew.userMessage().contains("users are unknown to the model") && idNew.userMessage().contains("'new0'"),
        idNew.userMessage());
    assertFalse(Files.exists(bad), "a failed recommend run writes nothing");
    // Users the id model knows, each given by two of its items: only those input items are filtered, not the rest
    // of the user's training items (the model directory does not record what a user saw).
    Map<String, List<String>> trainedHistories = histories("u", 60, 9);
    Map<String, List<String>> partial = new TreeMap<>();
    for (String u : List.of("u1", "u8", "u15", "u22", "u37", "u50")) {
      partial.put(u, trainedHistories.get(u).subList(0, 2));
    }
    Path knownUsers = csv(tmp.resolve("known.csv"), partial);
    Path knownOut = tmp.resolve("known-recs");
    JobRun idKnown = JobRun.of(args(knownUsers, knownOut, "--mode", "recommend", "recommend.modelPath=" + idModel,
        "output.recommendK=10", "spark.master=local[2]"));
    assertEquals(0, idKnown.exitCode(), idKnown.userMessage());

    try {
      Map<String, List<Object[]>> recs = recommendations(spark, recsOut.resolve("recommendations"));
      assertEquals(fresh.keySet(), recs.keySet(), "every new user, given only by its history");
      Set<List<String>> distinct = new HashSet<>();
      for (Map.Entry<String, List<Object[]>> e : recs.entrySet()) {
        assertEquals(4, e.getValue().size());
        List<String> ranked = new ArrayList<>();
        float previous = Float.POSITIVE_INFINITY;
        for (Object[] r : e.getValue()) {
          assertFalse(fresh.get(e.getKey()).contains((String) r[0]), e.getKey() + ": an item of its own history");
          assertTrue((float) r[1] <= previous, "best first");
          previous = (float) r[1];
          ranked.add((String) r[0]);
        }
        distinct.add(ranked);
      }
      assertTrue(distinct.size() > 1, "the history decides the recommendations");

      Map<String, float[]> userEmb = embeddings(spark, idModel.resolve("embeddings/users"));
      Map<String, float[]> itemEmb = embeddings(spark, idModel.resolve("embeddings/items"));
      Map<String, List<Object[]>> known = recommendations(spark, knownOut.resolve("recommendations"));
      assertEquals(partial.keySet(), known.keySet());
      int trainingItemsRecommended = 0;
      for (Map.Entry<String, List<String>> e : partial.entrySet()) {
        Set<String> given = new HashSet<>(e.getValue());
        float[] x = userEmb.get(e.getKey());
        List<Object[]> scored = new ArrayList<>();
        itemEmb.forEach((item, y) -> {
          if (!given.contains(item)) {
            double dot = 0;
            for (int d = 0; d < x.length; d++) {
              dot += (double) x[d] * y[d];
            }
            scored.add(new Object[] {item, dot});
          }
        });
        scored.sort((a, b) -> Double.compare((double) b[1], (double) a[1]));
        List<Object[]> got = known.get(e.getKey());
        assertEquals(10, got.size(), e.getKey());
        for (int r = 0; r < 10; r++) {
          assertEquals(scored.get(r)[0], got.get(r)[0], e.getKey() + " rank " + (r + 1));
          assertEquals((double) scored.get(r)[1], (float) got.get(r)[1], 1e-5, e.getKey() + " score at rank " + (r + 1));
          List<String> h = trainedHistories.get(e.getKey());
          if (h.subList(0, h.size() - 1).contains((String) got.get(r)[0])) { // its training part: all but the last
            trainingItemsRecommended++;
          }
        }
      }
      assertTrue(trainingItemsRecommended > 0, "training items outside the input may be recommended");
    } finally {
      SparkTestSession.stop(spark);
    }
  }
}
