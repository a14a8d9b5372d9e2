package dev.logq.job.eval;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logq.job.SparkTestSession;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Wall-clock time of a full-catalog evaluation at MovieLens-1M scale (6,040 users x 3,706 items,
 * 1M training pairs, one test item per user, d = 64, K up to 100, seen items filtered) on local[2].
 * Run with {@code mvn -Pbenchmarks -pl common,job -am test -Dtest=FullCatalogEvaluatorBenchmarkTest
 * -Dsurefire.failIfNoSpecifiedTests=false}; the timings are printed.
 */
@Tag("benchmark")
class FullCatalogEvaluatorBenchmarkTest {

  @Test
  void movielensScale() {
    SparkSession spark = SparkTestSession.start("FullCatalogEvaluatorBenchmark");
    try {
      int users = 6040;
      int items = 3706;
      int dim = 64;
      Column[] gaussians = IntStream.range(0, dim).mapToObj(p -> randn(1000 + p)).toArray(Column[]::new);
      Dataset<Row> userEmb = spark.range(users).select(col("id").cast("int").as("user_idx"),
          org.apache.spark.sql.functions.array(gaussians).cast("array<float>").as("embedding"))
          .persist(StorageLevel.MEMORY_ONLY());
      Dataset<Row> itemEmb = spark.range(items).select(col("id").cast("int").as("item_idx"),
          org.apache.spark.sql.functions.array(gaussians).cast("array<float>").as("embedding"))
          .persist(StorageLevel.MEMORY_ONLY());
      Dataset<Row> train = spark.range(1_000_000).select(pmod(col("id"), lit(users)).cast("int").as("user_idx"),
          pmod(abs(hash(col("id"))), lit(items)).cast("int").as("item_idx")).persist(StorageLevel.MEMORY_ONLY());
      Dataset<Row> test = spark.range(users).select(col("id").cast("int").as("user_idx"),
          pmod(abs(hash(col("id"), lit(7))), lit(items)).cast("int").as("item_idx")).persist(StorageLevel.MEMORY_ONLY());
      long[] counts = new long[items];
      for (Row r : train.groupBy("item_idx").count().collectAsList()) {
        counts[r.getInt(0)] = r.getLong(1);
      }
      userEmb.count();
      itemEmb.count();
      test.count();

      for (int[] blocks : new int[][] {{4096, 4096}, {1024, 1024}, {4096, 4096}}) {
        EvalSettings s = new EvalSettings(List.of(1, 10, 20, 100), true, 0.5, 0.3, blocks[0], blocks[1]);
        long t0 = System.nanoTime();
        EvalResult r = new FullCatalogEvaluator(s).evaluate(userEmb, itemEmb, test, train, counts);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(users, r.counts().get("evaluated_users"));
        System.out.printf("BENCHMARK eval %d users x %d items, d=%d, blocks %d x %d: %.2f s (recall@10 %.4f)%n",
            users, items, dim, blocks[0], blocks[1], seconds, r.metric("recall@10"));
      }
    } finally {
      spark.stop();
    }
  }
}
