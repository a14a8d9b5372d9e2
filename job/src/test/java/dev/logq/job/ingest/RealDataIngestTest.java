package dev.logq.job.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.job.SparkTestSession;
import dev.logq.job.testutil.SharedData;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
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

/** Reads the real data sets of ../shared/data (system property logq.sharedData); skipped when absent. */
class RealDataIngestTest {
  private static SparkSession spark;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("RealDataIngestTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void movieLens100k() throws Exception {
    Path archive = SharedData.archive("ml-100k.tar.gz");
    assumeTrue(archive != null, "ml-100k.tar.gz not found under " + SharedData.directory());
    Path data = SharedData.extract(archive, "ml-100k/u.data", dir);
    InputSettings in = InputSettings.of(JobConfig.load(null, List.of("input.format=tsv", "input.header=false", "input.userColumn=0",
        "input.itemColumn=1", "input.timestampColumn=3", "input.weightColumn=2")));
    IngestResult r = InteractionReader.read(spark, in, data.toString());
    assertEquals(100_000, r.rows());
    assertEquals(0, r.badRecords());
    Row stats = r.interactions().selectExpr("count(distinct user)", "count(distinct item)", "sum(weight)", "min(timestamp)",
        "max(timestamp)").first();
    assertEquals(943L, stats.getLong(0));
    assertEquals(1682L, stats.getLong(1));
    // independent check: the same sums straight from the file
    long ratingSum = 0;
    long minTime = Long.MAX_VALUE;
    long maxTime = Long.MIN_VALUE;
    for (String line : Files.readAllLines(data)) {
      String[] f = line.split("\t");
      ratingSum += Long.parseLong(f[2]);
      minTime = Math.min(minTime, Long.parseLong(f[3]));
      maxTime = Math.max(maxTime, Long.parseLong(f[3]));
    }
    assertEquals((double) ratingSum, stats.getDouble(2), 0);
    assertEquals(minTime, stats.getLong(3));
    assertEquals(maxTime, stats.getLong(4));
    r.unpersist();
  }

  @Test
  void gowallaTrain() throws Exception {
    Path archive = SharedData.archive("gowalla.tar.gz");
    assumeTrue(archive != null, "gowalla.tar.gz not found under " + SharedData.directory());
    Path data = SharedData.extract(archive, "gowalla/train.txt", dir);
    long expected = 0;
    Set<String> users = new HashSet<>();
    try (BufferedReader reader = Files.newBufferedReader(data, StandardCharsets.UTF_8)) {
      String line;
      while ((line = reader.readLine()) != null) {
        String[] tokens = line.trim().split("\\s+");
        if (!tokens[0].isEmpty()) {
          expected += tokens.length - 1;
          if (tokens.length > 1) {
            users.add(tokens[0]);
          }
        }
      }
    }
    IngestResult r = InteractionReader.read(spark, InputSettings.of(JobConfig.load(null, List.of("input.format=gowalla"))), data.toString());
    assertEquals(expected, r.rows());
    assertEquals(users.size(), r.interactions().select("user").distinct().count());
    r.unpersist();
  }
}
