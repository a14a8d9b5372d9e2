package dev.logq.job.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.job.SparkTestSession;
import dev.logq.job.testutil.SharedData;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Throughput of synthetic generation and text ingestion in local[2]; run with mvn -Pbenchmarks test. */
@Tag("benchmark")
class IngestBenchmarkTest {
  private static final Logger LOG = LoggerFactory.getLogger(IngestBenchmarkTest.class);
  private static SparkSession spark;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("IngestBenchmarkTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void syntheticGeneration() {
    JobConfig c = JobConfig.load(null, List.of("synthetic.users=100000", "synthetic.items=20000", "synthetic.partitions=8"));
    SyntheticData.generate(spark, c.synthetic()).count();  // warm-up
    long t0 = System.nanoTime();
    long n = SyntheticData.generate(spark, c.synthetic()).count();
    double seconds = (System.nanoTime() - t0) / 1e9;
    String line = String.format("synthetic: %d interactions (100k users, 20k items, d=16, T=0.25) in %.1f s: %.0f per second",
        n, seconds, n / seconds);
    LOG.warn(line);
    System.out.println("BENCHMARK " + line);
    assertTrue(n > 2_900_000);
  }

  @Test
  void movieLens1mIngestion() throws Exception {
    Path archive = SharedData.archive("ml-1m.tar.gz");
    org.junit.jupiter.api.Assumptions.assumeTrue(archive != null);
    Path data = SharedData.extract(archive, "ml-1m/ratings_pos4.tsv", dir);
    InputSettings in = InputSettings.of(JobConfig.load(null, List.of("input.format=tsv", "input.itemColumn=movie_id",
        "input.weightColumn=rating")));
    InteractionReader.read(spark, in, data.toString()).unpersist();  // warm-up
    long t0 = System.nanoTime();
    IngestResult r = InteractionReader.read(spark, in, data.toString());
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(575_281, r.rows());
    String line = String.format("ml-1m tsv: %d interactions read and validated in %.1f s", r.rows(), seconds);
    System.out.println("BENCHMARK " + line);
    r.unpersist();
  }
}
