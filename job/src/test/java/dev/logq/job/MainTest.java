package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Main.run end to end on the embedded synthetic data: outputs, exit codes, rerun and overwrite. */
class MainTest {

  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestSession.start("MainTest");
  }

  @AfterAll
  static void stopSpark() {
    SparkTestSession.stop(spark);
  }

  @Test
  void trainWritesEverythingAndRefusesToOverwriteByDefault() throws IOException {
    String template = tmp.resolve("runs/logq-{ds}").toString();
    JobRun first = JobRun.tiny("output.path=" + template, "run.ds=2024-05-01", "loss.type=standard");
    assertEquals(0, first.exitCode(), first.userMessage());
    Path out = tmp.resolve("runs/logq-2024-05-01");
    assertTrue(Files.isRegularFile(out.resolve("_SUCCESS")), "_SUCCESS");
    // Nothing else beside the output: no staging directory, no checkpoints.
    assertEquals(List.of("logq-2024-05-01"), JobRun.children(tmp.resolve("runs")));

    JsonNode metrics = JobRun.json(out.resolve("metrics.json"));
    assertEquals("2024-05-01", metrics.at("/run/ds").asText());
    JsonNode standard = metrics.at("/metrics/standard");
    for (String m : List.of("recall@1", "recall@10", "ndcg@1", "ndcg@10")) {
      double v = standard.path(m).asDouble(Double.NaN);
      assertTrue(v >= 0 && v <= 1, m + " = " + v);
    }
    assertEquals(1, metrics.at("/metrics").size(), "one loss trained");
    // train.syncBackend = auto on local[2] with 2 workers: collective, recorded with the round statistics.
    assertEquals("collective", metrics.at("/training_standard/sync/backend").asText(), metrics.at("/training_standard/sync").toString());
    String log = Files.readString(out.resolve("logs/job.log"));
    assertTrue(log.contains("Synchronisation backend: collective (auto: 2 task slots for train.workers = 2)"),
        "the job log does not say which backend auto chose and why");
    // train.placement = auto with the id tower: by user, said in the log and recorded.
    assertEquals("user", metrics.at("/training_standard/placement").asText());
    assertTrue(log.contains("Training data placement: user (auto: the id tower has a row per user (user.embedding)"),
        "the job log does not say how auto placed the examples");
    assertTrue(standard.path("recall@10").asDouble() >= standard.path("recall@1").asDouble());
    int users = metrics.at("/counts/catalog.users").asInt();
    int items = metrics.at("/counts/catalog.items").asInt();
    assertTrue(users > 100 && users <= 120, "users " + users);
    assertTrue(items > 40 && items <= 80, "items " + items);

    checkEmbeddings(out.resolve("embeddings/users"), users, 120);
    checkEmbeddings(out.resolve("embeddings/items"), items, 80);
    for (String f : List.of("model/params.bin", "model/spec.json", "model/config.conf", "model/logq-table.bin",
        "curve.csv", "curve.json", "report/report.html", "report/comparison.txt", "report/loss_curve.png",
        "report/metrics_at_k.png", "report/recall_by_popularity.png")) {
      assertTrue(Files.isRegularFile(out.resolve(f)) && Files.size(out.resolve(f)) > 0, f);
    }
    assertTrue(Files.readString(out.resolve("report/comparison.txt")).contains("standard"));

    // A rerun into the complete output fails before any work and leaves it untouched.
    String success = Files.readString(out.resolve("_SUCCESS"));
    long paramsModified = Files.getLastModifiedTime(out.resolve("model/params.bin")).toMillis();
    JobRun again = JobRun.tiny("output.path=" + template, "run.ds=2024-05-01", "loss.type=standard");
    assertEquals(4, again.exitCode(), again.userMessage());
    assertTrue(again.userMessage().contains("already exists") && again.userMessage().contains("--overwrite"),
        again.userMessage());
    assertEquals(success, Files.readString(out.resolve("_SUCCESS")));
    assertEquals(paramsModified, Files.getLastModifiedTime(out.resolve("model/params.bin")).toMillis());
    assertEquals(List.of("logq-2024-05-01"), JobRun.children(tmp.resolve("runs")));

    // output.skipIfComplete (Airflow retries): the same configuration is a no-op success, another one is not.
    JobRun retry = JobRun.tiny("output.path=" + template, "run.ds=2024-05-01", "loss.type=standard",
        "output.skipIfComplete=true", "run.id=another-attempt");
    assertEquals(0, retry.exitCode(), retry.userMessage());
    assertEquals(success, Files.readString(out.resolve("_SUCCESS")));
    assertEquals(paramsModified, Files.getLastModifiedTime(out.resolve("model/params.bin")).toMillis());
    JobRun changed = JobRun.tiny("output.path=" + template, "run.ds=2024-05-01", "loss.type=refined",
        "output.skipIfComplete=true");
    assertEquals(4, changed.exitCode(), changed.userMessage());
    assertTrue(changed.userMessage().contains("another configuration (loss.type: standard -> refined)"),
        changed.userMessage());
    assertEquals(success, Files.readString(out.resolve("_SUCCESS")));

    // Checkpoints of another configuration, as a changed rerun would find them: --resume must not load
    // them (their parameters are garbage here, so loading them would fail the run).
    Path stale = tmp.resolve("runs/_logq-2024-05-01.checkpoints");
    Files.createDirectories(stale.resolve("round-000000000005"));
    Files.writeString(stale.resolve("round-000000000005/params.bin"), "not a model");
    Files.writeString(stale.resolve("round-000000000005/_COMPLETE"), "");
    Files.writeString(stale.resolve("_config.conf"),
        dev.logq.common.config.JobConfig.parse("", "test", List.of("train.epochs=9")).toHocon());

    // --overwrite replaces it (another loss, so the content shows which run wrote it).
    JobRun replaced = JobRun.tiny("output.path=" + template, "run.ds=2024-05-01", "loss.type=none", "--overwrite",
        "--resume", "output.report=false");
    assertEquals(0, replaced.exitCode(), replaced.userMessage());
    assertNotEquals(success, Files.readString(out.resolve("_SUCCESS")));
    JsonNode metrics2 = JobRun.json(out.resolve("metrics.json"));
    assertTrue(metrics2.at("/metrics/none").isObject());
    assertTrue(metrics2.at("/metrics/standard").isMissingNode());
    assertEquals(List.of("logq-2024-05-01"), JobRun.children(tmp.resolve("runs")));
  }

  @Test
  void compareTrainsEveryLossIntoItsOwnDirectoryAndOneTable() throws IOException {
    Path out = tmp.resolve("compare");
    // Batches of 128: 5 synchronised steps per epoch instead of 21, four losses in a few seconds each.
    JobRun run = JobRun.tiny("--mode", "compare", "output.path=" + out, "train.batchSize=128");
    assertEquals(0, run.exitCode(), run.userMessage());
    assertTrue(Files.isRegularFile(out.resolve("_SUCCESS")));
    List<String> losses = List.of("none", "standard", "refined", "full");
    assertEquals(losses.stream().sorted().toList(), JobRun.children(out.resolve("runs")));
    JsonNode metrics = JobRun.json(out.resolve("metrics.json"));
    assertEquals("compare", metrics.at("/run/mode").asText());
    assertEquals(losses.size(), metrics.at("/metrics").size());
    int users = metrics.at("/counts/catalog.users").asInt();
    int items = metrics.at("/counts/catalog.items").asInt();
    for (String loss : losses) {
      Path dir = out.resolve("runs/" + loss);
      for (String f : List.of("model/params.bin", "model/spec.json", "curve.csv")) {
        assertTrue(Files.isRegularFile(dir.resolve(f)), loss + ": " + f);
      }
      assertTrue(Files.readString(dir.resolve("model/spec.json")).contains("\"loss\" : \"" + loss + "\""), loss);
      checkEmbeddings(dir.resolve("embeddings/users"), users, 120);
      checkEmbeddings(dir.resolve("embeddings/items"), items, 80);
      double recall10 = metrics.at("/metrics/" + loss + "/recall@10").asDouble(Double.NaN);
      assertTrue(recall10 >= 0 && recall10 <= 1, loss + " recall@10 " + recall10);
    }
    // One table with a row per loss, its columns the evaluated cut-offs (eval.k = [1, 10]).
    List<String> table = Files.readAllLines(out.resolve("report/comparison.txt"));
    assertTrue(table.get(0).contains("Recall@1 ") && table.get(0).contains("Recall@10"), table.get(0));
    for (String loss : losses) {
      String row = table.stream().filter(l -> l.startsWith(loss + " ")).findFirst().orElseThrow(() ->
          new AssertionError("no row for " + loss + " in " + table));
      assertTrue(row.contains(String.format(java.util.Locale.ROOT, "%.4f",
          metrics.at("/metrics/" + loss + "/recall@10").asDouble())), row);
    }
    String html = Files.readString(out.resolve("report/report.html"));
    losses.forEach(loss -> assertTrue(html.contains(loss), loss));
    // Nothing but the output in its parent: no staging directory, no checkpoints.
    assertEquals(List.of("compare"), JobRun.children(tmp));
  }

  @Test
  void helpAndBadFlags() {
    assertEquals(0, JobRun.of(List.of("--help")).exitCode());
    JobRun bad = JobRun.of(List.of("--mode", "serve"));
    assertEquals(2, bad.exitCode());
    assertTrue(bad.userMessage().contains("Invalid value for --mode: 'serve'"), bad.userMessage());
  }

  /** The exit status of a real JVM running Main, as spark-submit and Airflow see it. */
  @Test
  void processExitStatus() throws Exception {
    assertEquals(0, javaMain("--help"));
    assertEquals(2, javaMain("train.epoch=3"));
    assertEquals(2, javaMain("--conf", tmp.resolve("absent.conf").toString()));
  }

  private static int javaMain(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), output);
    return p.exitValue();
  }

  /** One row per index, distinct original ids, all of them ids the generator can produce. */
  private static void checkEmbeddings(Path dir, int expectedRows, int idBound) {
    List<Row> rows = spark.read().parquet(dir.toString()).collectAsList();
    assertEquals(expectedRows, rows.size(), dir.toString());
    Set<String> ids = new HashSet<>();
    Set<Integer> indices = new HashSet<>();
    for (Row r : rows) {
      String id = r.getAs("id");
      ids.add(id);
      indices.add(r.<Integer>getAs("index"));
      int original = Integer.parseInt(id);
      assertTrue(original >= 0 && original < idBound, id);
      assertEquals(8, r.<scala.collection.Seq<?>>getAs("embedding").size());
    }
    assertEquals(expectedRows, ids.size());
    assertEquals(expectedRows, indices.size());
  }
}
