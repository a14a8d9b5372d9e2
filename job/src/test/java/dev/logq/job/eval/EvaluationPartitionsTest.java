package dev.logq.job.eval;

import static dev.logq.job.eval.EvalTestData.embeddings;
import static dev.logq.job.eval.EvalTestData.pairs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: the test metrics are the same bits on 1 and 3 cores with the inputs in 1 and 3 partitions (one
 * partition-independent summation for test and validation metrics). Sums of a few hundred irrational per-user
 * values in another order differ in the last bits, so a summation that followed the partitioning fails here.
 */
class EvaluationPartitionsTest {

  @Test
  void testMetricsAreTheSameBitsOnOneAndThreePartitions() {
    Random rnd = new Random(3);
    int users = 300;
    int items = 90;
    float[][] u = new float[users][6];
    float[][] v = new float[items][6];
    for (float[] row : u) {
      for (int p = 0; p < row.length; p++) {
        row[p] = (float) rnd.nextGaussian();
      }
    }
    for (float[] row : v) {
      for (int p = 0; p < row.length; p++) {
        row[p] = (float) rnd.nextGaussian();
      }
    }
    List<int[]> train = new ArrayList<>();
    List<int[]> test = new ArrayList<>();
    long[] counts = new long[items];
    for (int user = 0; user < users; user++) {
      for (int j = 0; j < 6; j++) {
        int item = rnd.nextInt(items);
        train.add(new int[] {user, item});
        counts[item]++;
      }
      for (int j = 0; j < 1 + rnd.nextInt(3); j++) {
        test.add(new int[] {user, rnd.nextInt(items)});
      }
    }
    EvalSettings s = new EvalSettings(List.of(1, 10, 20), true, 0.5, 0.3, 16, 32);
    List<Map<String, Double>> results = new ArrayList<>();
    for (int n : new int[] {1, 3}) {
      // Own sessions: the evaluator sizes its blocks' partitions by the default parallelism, which the shared
      // test session pins to 2.
      SparkTestSession.stopShared();
      SparkSession spark = SparkSession.builder().master("local[" + n + "]").appName("EvaluationPartitionsTest")
          .config("spark.ui.enabled", "false").config("spark.default.parallelism", String.valueOf(n))
          .config("spark.sql.shuffle.partitions", String.valueOf(n)).config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
      try {
        assertEquals(n, spark.sparkContext().defaultParallelism(), "the session's parallelism");
        Dataset<Row> userEmb = embeddings(spark, "user_idx", u).repartition(n);
        Dataset<Row> itemEmb = embeddings(spark, "item_idx", v).repartition(n);
        EvalResult r = new FullCatalogEvaluator(s).evaluate(userEmb, itemEmb,
            pairs(spark, test.toArray(new int[0][])).repartition(n), pairs(spark, train.toArray(new int[0][])).repartition(n),
            counts);
        results.add(r.metrics());
      } finally {
        spark.stop();
      }
    }
    double ndcg = results.get(0).get("ndcg@20");
    assertTrue(ndcg > 0 && ndcg < 1, "a non-degenerate metric: ndcg@20 " + ndcg);
    assertEquals(results.get(0), results.get(1), "test metrics on 1 vs 3 cores and partitions");
  }
}
