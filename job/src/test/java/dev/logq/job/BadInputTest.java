package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and odd configurations, tried as a new user would through Main.run: each gives the
 * documented exit code, a message naming what is wrong, and no output (no output directory, no
 * staging or checkpoint directory beside it). Odd but valid inputs must work.
 */
class BadInputTest {

  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestSession.start("BadInputTest");
  }

  @AfterAll
  static void stopSpark() {
    SparkTestSession.stop(spark);
  }

  // ---------------------------------------------------------------------------------------------
  // Test data: user_id,item_id,timestamp; user u has perUser interactions at increasing timestamps.

  private record Interaction(String user, String item, long timestamp) {}

  private static List<Interaction> interactions(int users, int items, int perUser, IntFunction<String> userId,
      IntFunction<String> itemId) {
    List<Interaction> rows = new ArrayList<>();
    long t = 1_000;
    for (int u = 0; u < users; u++) {
      for (int j = 0; j < perUser; j++) {
        rows.add(new Interaction(userId.apply(u), itemId.apply((u * 7 + j * 3 + j * j) % items), t++));
      }
    }
    return rows;
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  private Path csv(String name, List<Interaction> rows, String... extraLines) throws IOException {
    StringBuilder sb = new StringBuilder("user_id,item_id,timestamp\n");
    for (Interaction r : rows) {
      sb.append(csvField(r.user())).append(',').append(csvField(r.item())).append(',').append(r.timestamp()).append('\n');
    }
    for (String line : extraLines) {
      sb.append(line).append('\n');
    }
    return Files.writeString(tmp.resolve(name), sb.toString());
  }

  private List<Interaction> plain() {
    return interactions(40, 25, 8, u -> "u" + u, i -> "i" + i);
  }

  /** The tiny configuration, no report charts, reading {@code input} as csv into tmp/out/run. */
  private JobRun runCsv(Path input, String... more) {
    List<String> args = new ArrayList<>(List.of("input.path=" + input, "input.format=csv", "output.report=false",
        "output.path=" + tmp.resolve("out/run")));
    args.addAll(Arrays.asList(more));
    return JobRun.tiny(args.toArray(new String[0]));
  }

  private Path output() {
    return tmp.resolve("out/run");
  }

  /** The exit code, the message's key phrases, and nothing left in the output's parent directory. */
  private void assertFails(JobRun run, int exitCode, String... phrases) throws IOException {
    assertEquals(exitCode, run.exitCode(), run.userMessage());
    assertTrue(run.userMessage().startsWith("logq: "), run.userMessage());
    for (String phrase : phrases) {
      assertTrue(run.userMessage().contains(phrase), "message lacks '" + phrase + "': " + run.userMessage());
    }
    assertEquals(List.of(), JobRun.children(tmp.resolve("out")), "partial output left behind");
  }

  // ---------------------------------------------------------------------------------------------
  // Data errors: exit 3

  @Test
  void emptyInput() throws IOException {
    Path empty = Files.writeString(tmp.resolve("empty.csv"), "");
    assertFails(runCsv(empty), 3, empty.toString(), "all 1 input file(s) are empty");
    Path headerOnly = Files.writeString(tmp.resolve("header.csv"), "user_id,item_id,timestamp\n");
    assertFails(runCsv(headerOnly), 3, headerOnly.toString(), "no interactions in the csv input");
  }

  @Test
  void directoryWithoutMatchingFiles() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("incoming"));
    assertFails(runCsv(dir), 3, dir.toString(), "no input files");
    Files.writeString(dir.resolve("README.txt"), "not data\n");
    assertFails(runCsv(Path.of(dir + "/*.csv")), 3, dir + "/*.csv", "matches 0 files");
    // The default format is Parquet: a directory with only a _SUCCESS marker.
    Files.writeString(dir.resolve("_SUCCESS"), "");
    Files.delete(dir.resolve("README.txt"));
    assertFails(JobRun.tiny("input.path=" + dir, "output.path=" + output()), 3, dir.toString(),
        "no Parquet data files under this path", "input.format");
  }

  @Test
  void csvWithTheWrongColumns() throws IOException {
    Path wrong = Files.writeString(tmp.resolve("ratings.csv"), "userId,movieId,rating\n1,2,5\n");
    assertFails(runCsv(wrong), 3, "ratings.csv", "missing column(s) 'user_id' (input.userColumn)",
        "'item_id' (input.itemColumn)", "[userId, movieId, rating]");
    // Mapping the columns fixes it, but this file has no usable timestamp column either way.
    assertFails(runCsv(wrong, "input.userColumn=userId", "input.itemColumn=movieId"), 3,
        "'timestamp' (input.timestampColumn)");
  }

  @Test
  void parquetWithTheWrongSchema() throws IOException {
    String names = tmp.resolve("names.parquet").toString();
    spark.range(10).selectExpr("id as user", "cast(id as double) as score").write().parquet(names);
    assertFails(JobRun.tiny("input.path=" + names, "output.path=" + output()), 3, "names.parquet",
        "missing column(s) 'user_id' (input.userColumn)", "[user: bigint, score: double]");

    String types = tmp.resolve("types.parquet").toString();
    spark.range(10).selectExpr("array(id) as user_id", "id as item_id", "id as timestamp").write().parquet(types);
    assertFails(JobRun.tiny("input.path=" + types, "output.path=" + output()), 3, "types.parquet",
        "column 'user_id' (input.userColumn) has type array<bigint>", "string or integer id");

    // A CSV file read with the default input.format = parquet.
    Path text = csv("events.csv", plain());
    assertFails(JobRun.tiny("input.path=" + text, "output.path=" + output()), 3, "events.csv is not a Parquet file",
        "input.format = csv");
  }

  @Test
  void malformedRowsFailNamingFileAndLine() throws IOException {
    Path bad = csv("bad.csv", plain(), "u1,i2", "u2,i3,yesterday");
    // 1 header line + 320 rows: the first bad record is line 322.
    assertFails(runCsv(bad), 3, "bad.csv line 322", "expected 3 fields", "2 bad record(s) in all",
        "input.badRecords = skip");
  }

  @Test
  void aSingleUserOrASingleItemIsRejected() throws IOException {
    Path oneUser = csv("one-user.csv", interactions(1, 20, 15, u -> "solo", i -> "i" + i));
    assertFails(runCsv(oneUser), 3, "one-user.csv", "only 1 user ('solo')", "at least 2 distinct users");
    Path oneItem = csv("one-item.csv", interactions(30, 1, 4, u -> "u" + u, i -> "the-item"));
    assertFails(runCsv(oneItem), 3, "one-item.csv", "only 1 item ('the-item')", "at least 2 distinct items");
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration errors: exit 2, before Spark does any work

  @Test
  void configurationMistakes() throws IOException {
    Path input = csv("events.csv", plain());
    assertFails(runCsv(input, "train.batchsize=64"), 2, "Unknown configuration key 'train.batchsize'",
        "did you mean 'train.batchSize'?");
    assertFails(runCsv(input, "--conf", tmp.resolve("my-logq.conf").toString()), 2, "my-logq.conf",
        "does not exist");
    Path typo = Files.writeString(tmp.resolve("typo.conf"), "logq { train { epoch = 3 } }\n");
    assertFails(runCsv(input, "--conf", typo.toString()), 2, "Unknown configuration key 'train.epoch'", "typo.conf",
        "did you mean 'train.epochs'?");
    assertFails(runCsv(input, "split.method=given"), 2, "input.testPath", "split.method = given");
    assertFails(runCsv(input, "output.path=" + tmp.resolve("out/{ds}")), 2, "output.path", "run.ds");
    assertFails(runCsv(input, "loss.type=logq"), 2, "loss.type", "logq", "none, standard, refined");
    assertFails(runCsv(input, "--force"), 2, "Unknown option '--force'");
    assertFails(runCsv(input, "epochs"), 2, "expected key=value");
  }

  // ---------------------------------------------------------------------------------------------
  // Odd but valid input: must work

  @Test
  void oddIdsRoundTripAndABatchLargerThanAShard() throws IOException {
    String longId = "x".repeat(3000);
    List<Interaction> rows = interactions(40, 25, 8,
        u -> switch (u % 5) {
          case 0 -> "with, comma " + u;
          case 1 -> "with space " + u;
          case 2 -> "ünïcødé 😀 " + u;
          case 3 -> longId + u;
          default -> "q\"uote" + u;
        },
        i -> i % 2 == 0 ? "item #" + i : "ítem,\"" + i + "\"");
    Path input = csv("odd.csv", rows);
    // No validation split: the model trains on the whole training part, whose ids the test checks.
    JobRun run = runCsv(input, "train.batchSize=100000", "train.epochs=2", "split.validation=none");
    assertEquals(0, run.exitCode(), run.userMessage());

    // leave-last-out: every user keeps all but the latest interaction in training.
    Set<String> trainUsers = new HashSet<>();
    Set<String> trainItems = new HashSet<>();
    for (int k = 0; k < rows.size(); k++) {
      boolean latestOfUser = k + 1 == rows.size() || !rows.get(k + 1).user().equals(rows.get(k).user());
      if (!latestOfUser) {
        trainUsers.add(rows.get(k).user());
        trainItems.add(rows.get(k).item());
      }
    }
    assertEquals(trainUsers, ids(output().resolve("embeddings/users")));
    assertEquals(trainItems, ids(output().resolve("embeddings/items")));

    // A batch larger than a worker's shard: each worker's whole shard is one batch, one step per epoch.
    JsonNode metrics = JobRun.json(output().resolve("metrics.json"));
    JsonNode training = metrics.at("/training_refined");
    assertEquals(2, training.path("rounds").asInt(), training.toString());
    assertEquals(2, training.at("/curve").size());
    assertEquals(2 * (rows.size() - 40), training.at("/curve/0/examples").asLong() + training.at("/curve/1/examples").asLong(),
        training.toString());
    assertTrue(metrics.at("/metrics/refined/recall@10").isNumber());
  }

  @Test
  void givenTestSetWithUnseenItemsAndUsers() throws IOException {
    Path train = csv("train.csv", plain());
    Path test = Files.writeString(tmp.resolve("test.csv"), String.join("\n",
        "user_id,item_id,timestamp", "u1,i3,99999", "u2,i4,99999", "u3,brand-new-item,99999",
        "new-user,i3,99999", "") );
    JobRun run = runCsv(train, "split.method=given", "input.testPath=" + test);
    assertEquals(0, run.exitCode(), run.userMessage());
    JsonNode split = JobRun.json(output().resolve("metrics.json")).at("/split");
    assertEquals(4, split.path("testRowsBeforeColdStart").asInt(), split.toString());
    assertEquals(1, split.path("coldItemTestRowsRemoved").asInt(), split.toString());
    assertEquals(1, split.path("coldUserTestRows").asInt(), split.toString());
    assertEquals(2, split.path("testRows").asInt(), split.toString());
    assertEquals(320, split.path("trainRows").asInt(), split.toString());
  }

  @Test
  void malformedRowsAreCountedInSkipMode() throws IOException {
    Path bad = csv("bad.csv", plain(), "u1,i2", "u2,i3,yesterday");
    JobRun run = runCsv(bad, "input.badRecords=skip");
    assertEquals(0, run.exitCode(), run.userMessage());
    JsonNode metrics = JobRun.json(output().resolve("metrics.json"));
    assertEquals(2, metrics.at("/counts/input.bad_records").asInt(), metrics.at("/counts").toString());
    assertEquals(320, metrics.at("/counts/input.rows").asInt());
    JsonNode samples = metrics.at("/bad_record_samples");
    assertEquals(2, samples.size(), samples.toString());
    assertTrue(samples.get(0).asText().contains("bad.csv line 322"), samples.toString());
    assertTrue(samples.get(1).asText().contains("bad.csv line 323") && samples.get(1).asText().contains("yesterday"),
        samples.toString());
  }

  private static Set<String> ids(Path embeddings) {
    Set<String> ids = new HashSet<>();
    List<Row> rows = spark.read().parquet(embeddings.toString()).select("id").collectAsList();
    for (Row r : rows) {
      ids.add(r.getString(0));
    }
    assertEquals(rows.size(), ids.size(), "one row per id in " + embeddings);
    return ids;
  }
}
