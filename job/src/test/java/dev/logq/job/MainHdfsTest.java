package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job against a real in-process HDFS: input read from hdfs://, every output written there, a run
 * interrupted in its second epoch resumed with --resume from its HDFS checkpoint, and the checkpoints
 * removed once the output is committed.
 */
class MainHdfsTest {

  @TempDir
  static File base;

  private static MiniDFSCluster cluster;
  private static FileSystem fs;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).format(true).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
    spark = SparkTestSession.start("MainHdfsTest");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      SparkTestSession.stop(spark);
    }
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  private static String uri(String path) {
    return fs.getUri() + path;
  }

  /** Two CSV files of one day's partition: 60 users x 6 interactions over 30 items. */
  private static void writeInput(String dir) throws IOException {
    for (int part = 0; part < 2; part++) {
      StringBuilder sb = new StringBuilder("user_id,item_id,timestamp\n");
      for (int u = part * 30; u < (part + 1) * 30; u++) {
        for (int j = 0; j < 6; j++) {
          sb.append("user-").append(u).append(",item-").append((u * 7 + j * j + 3 * j) % 30).append(',')
              .append(1_000 + u * 10 + j).append('\n');
        }
      }
      try (OutputStream out = fs.create(new Path(dir, "part-" + part + ".csv"))) {
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static List<String> children(String dir) throws IOException {
    if (!fs.exists(new Path(dir))) {
      return List.of();
    }
    return Arrays.stream(fs.listStatus(new Path(dir))).map(FileStatus::getPath).map(Path::getName).sorted().toList();
  }

  private static JsonNode json(String path) throws IOException {
    try (InputStream in = fs.open(new Path(path))) {
      return new ObjectMapper().readTree(in);
    }
  }

  /** Cancels the training jobs of the second epoch, as a lost driver or a killed application would. */
  private static final class InterruptSecondEpoch extends SparkListener {
    final AtomicInteger cancelled = new AtomicInteger();

    @Override
    public void onJobStart(SparkListenerJobStart start) {
      String description = start.properties().getProperty("spark.job.description", "");
      if (description.startsWith("epoch 2/")) {
        cancelled.incrementAndGet();
        spark.sparkContext().cancelJobGroup("logq-train");
      }
    }
  }

  @Test
  void trainsFromHdfsIntoHdfsAndResumesFromHdfsCheckpoints() throws IOException {
    writeInput("/data/interactions/dt=2024-05-01");
    List<String> args = new ArrayList<>(JobRun.TINY);
    args.addAll(List.of("input.path=" + uri("/data/interactions/dt=2024-05-01/"), "input.format=csv",
        "output.path=" + uri("/runs/logq/{ds}"), "run.ds=2024-05-01", "train.epochs=2"));

    InterruptSecondEpoch interrupt = new InterruptSecondEpoch();
    spark.sparkContext().addSparkListener(interrupt);
    JobRun interrupted;
    long t0 = System.nanoTime();
    try {
      interrupted = JobRun.of(args);
    } finally {
      spark.sparkContext().removeSparkListener(interrupt);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(1, interrupted.exitCode(), interrupted.userMessage());
    // A cancelled segment is not rerun, and its tasks stop instead of waiting out the peers' 120 s timeouts
    // (a killed task's read lock on its shard then held up the job's cleanup for two minutes).
    assertEquals(1, interrupt.cancelled.get(), "a cancelled training job was rerun");
    assertTrue(seconds < 90, "the interrupted run took " + seconds + " s to end");
    // No output and no staging directory; the checkpoints stay for --resume.
    assertEquals(List.of("_2024-05-01.checkpoints"), children("/runs/logq"));
    assertTrue(children("/runs/logq/_2024-05-01.checkpoints").stream().anyMatch(n -> n.startsWith("round-")),
        children("/runs/logq/_2024-05-01.checkpoints").toString());

    List<String> resumeArgs = new ArrayList<>(args);
    resumeArgs.add("--resume");
    JobRun resumed = JobRun.of(resumeArgs);
    assertEquals(0, resumed.exitCode(), resumed.userMessage());

    String out = "/runs/logq/2024-05-01";
    assertEquals(List.of("2024-05-01"), children("/runs/logq"), "checkpoints and staging removed after the commit");
    List<String> files = dev.logq.job.output.AtomicOutput.listFiles(fs, new Path(out));
    for (String f : List.of("_SUCCESS", "metrics.json", "model/params.bin", "model/spec.json", "model/config.conf",
        "model/logq-table.bin", "curve.csv", "report/report.html", "report/comparison.txt")) {
      assertTrue(files.contains(f), f + " missing from " + files);
    }
    for (String dir : List.of("embeddings/users/", "embeddings/items/", "index/users/", "index/items/")) {
      assertTrue(files.stream().anyMatch(f -> f.startsWith(dir) && f.endsWith(".parquet")), dir + " in " + files);
    }

    JsonNode metrics = json(out + "/metrics.json");
    assertEquals("2024-05-01", metrics.at("/run/ds").asText());
    assertEquals(60, metrics.at("/counts/catalog.users").asInt());
    assertEquals(360, metrics.at("/counts/input.rows").asInt());
    // The resumed run trained only the second epoch: it restarted from the end-of-epoch-1 checkpoint.
    JsonNode training = metrics.at("/training_refined");
    long rounds = training.path("rounds").asLong();
    assertTrue(rounds > 0 && rounds % 2 == 0, training.toString());
    assertEquals(rounds / 2, training.at("/sync/rounds").asLong(), training.toString());
    assertEquals(2, training.at("/curve").size());

    long users = spark.read().parquet(uri(out + "/embeddings/users")).count();
    assertEquals(60, users);
    assertEquals(metrics.at("/counts/catalog.items").asLong(), spark.read().parquet(uri(out + "/embeddings/items")).count());
    assertFalse(fs.exists(new Path("/runs/logq/_2024-05-01.checkpoints")));
  }
}
