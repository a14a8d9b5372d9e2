package dev.logq.job.eval;

import static dev.logq.job.eval.EvalTestData.embeddings;
import static dev.logq.job.eval.EvalTestData.pairs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.mllib.evaluation.RankingMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

class FullCatalogEvaluatorTest {

  private static final double EPS = 1e-9;
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("FullCatalogEvaluatorTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  // ---------------------------------------------------------------- hand-built example
  // Integer embeddings, so every score is an exact small integer. Rankings (ties: lower index first):
  //   u0 = (1,0,0): i0 3, i1 2, i2 1, i5 1, i3 0, i4 0, i6 0  -> 0 1 2 5 3 4 6
  //   u1 = (0,1,0): i3 3, i2 2, i1 1, i6 1, rest 0             -> 3 2 1 6 0 4 5
  //   u2 = (0,0,1): i4 3, i6 2, i5 1, rest 0                   -> 4 6 5 0 1 2 3
  //   u3 = (1,1,1): 3 for all but i5 (2)                       -> 0 1 2 3 4 6 5
  // u4 has test pairs but no embedding.
  private static final float[][] ITEMS = {
      {3, 0, 0}, {2, 1, 0}, {1, 2, 0}, {0, 3, 0}, {0, 0, 3}, {1, 0, 1}, {0, 1, 2}};
  private static final float[][] USERS = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
  private static final int[][] TRAIN = {{0, 0}, {1, 3}, {1, 2}, {2, 5}, {3, 0}, {3, 1}};
  private static final int[][] TEST = {{0, 2}, {1, 1}, {1, 4}, {2, 6}, {3, 5}, {3, 3}, {4, 0}};
  // Total 100: head {i0}, torso {i1, i2}, tail {i3..i6} at shares 0.5 / 0.3.
  private static final long[] COUNTS = {50, 20, 10, 8, 6, 4, 2};

  private EvalResult handBuilt(boolean filterSeen, int userBlock, int itemBlock) {
    EvalSettings s = new EvalSettings(List.of(1, 3, 5), filterSeen, 0.5, 0.3, userBlock, itemBlock);
    return new FullCatalogEvaluator(s).evaluate(embeddings(spark, "user_idx", USERS),
        embeddings(spark, "item_idx", ITEMS), pairs(spark, TEST), pairs(spark, TRAIN), COUNTS);
  }

  @Test
  void handBuiltWithoutSeenFiltering() {
    EvalResult r = handBuilt(false, 4096, 4096);
    // Test ranks: u0 {2}: 3.  u1 {1, 4}: 3, 6.  u2 {6}: 2.  u3 {5, 3}: 7, 4.
    assertEquals(0.0, r.metric("recall@1"), EPS);
    assertEquals((1 + 0.5 + 1 + 0) / 4, r.metric("recall@3"), EPS);
    assertEquals((1 + 0.5 + 1 + 0.5) / 4, r.metric("recall@5"), EPS);
    assertEquals(0.0, r.metric("hitrate@1"), EPS);
    assertEquals(0.75, r.metric("hitrate@3"), EPS);
    assertEquals(1.0, r.metric("hitrate@5"), EPS);
    double idcg2 = 1 + 1 / log2(3);
    double ndcg3 = (1 / log2(4) + (1 / log2(4)) / idcg2 + 1 / log2(3) + 0) / 4;
    assertEquals(ndcg3, r.metric("ndcg@3"), EPS);
    double ndcg5 = (1 / log2(4) + (1 / log2(4)) / idcg2 + 1 / log2(3) + (1 / log2(5)) / idcg2) / 4;
    assertEquals(ndcg5, r.metric("ndcg@5"), EPS);
    assertEquals((1.0 / 3 + 1.0 / 3 + 1.0 / 2 + 1.0 / 4) / 4, r.metric("mrr"), EPS);

    assertEquals(5L, r.counts().get("test_users"));
    assertEquals(4L, r.counts().get("evaluated_users"));
    assertEquals(1L, r.counts().get("test_users_without_embedding"));
    assertEquals(7L, r.counts().get("test_pairs"));
    assertEquals(6L, r.counts().get("evaluated_test_pairs"));
    assertEquals(7L, r.counts().get("items"));
    assertEquals(1L, r.counts().get("items_head"));
    assertEquals(2L, r.counts().get("items_torso"));
    assertEquals(4L, r.counts().get("items_tail"));
  }

  @Test
  void handBuiltWithSeenFiltering() {
    // Rankings after removing the training items:
    //   u0 -{0}: 1 2 5 3 4 6     test {2} at 2
    //   u1 -{2,3}: 1 6 0 4 5     test {1, 4} at 1, 4
    //   u2 -{5}: 4 6 0 1 2 3     test {6} at 2
    //   u3 -{0,1}: 2 3 4 6 5     test {3, 5} at 2, 5
    for (int[] blocks : new int[][] {{4096, 4096}, {3, 2}}) {
      EvalResult r = handBuilt(true, blocks[0], blocks[1]);
      String at = "blocks " + Arrays.toString(blocks);
      assertEquals(0.25, r.metric("recall@1"), EPS, at);
      assertEquals((1 + 0.5 + 1 + 0.5) / 4, r.metric("recall@3"), EPS, at);
      assertEquals(1.0, r.metric("recall@5"), EPS, at);
      assertEquals(0.25, r.metric("hitrate@1"), EPS, at);
      assertEquals(1.0, r.metric("hitrate@3"), EPS, at);
      double idcg2 = 1 + 1 / log2(3);
      double ndcg3 = (1 / log2(3) + 1 / idcg2 + 1 / log2(3) + (1 / log2(3)) / idcg2) / 4;
      assertEquals(ndcg3, r.metric("ndcg@3"), EPS, at);
      double ndcg5 = (1 / log2(3) + (1 + 1 / log2(5)) / idcg2 + 1 / log2(3) + (1 / log2(3) + 1 / log2(6)) / idcg2) / 4;
      assertEquals(ndcg5, r.metric("ndcg@5"), EPS, at);
      assertEquals((0.5 + 1 + 0.5 + 0.5) / 4, r.metric("mrr"), EPS, at);

      // Buckets of the test pairs: (u0,i2) torso, (u1,i1) torso, (u1,i4) tail, (u2,i6) tail,
      // (u3,i5) tail, (u3,i3) tail. At 3: both torso pairs hit; tail hits are (u2,i6), (u3,i3).
      assertTrue(Double.isNaN(r.metric("recall@3/head")), at);
      assertEquals(1.0, r.metric("recall@3/torso"), EPS, at);
      assertEquals(0.5, r.metric("recall@3/tail"), EPS, at);
      assertEquals(0.5, r.metric("recall@1/torso"), EPS, at);
      assertEquals(0.0, r.metric("recall@1/tail"), EPS, at);
      assertEquals(1.0, r.metric("recall@5/tail"), EPS, at);
      // Top 1: u0 i1 (20), u1 i1 (20), u2 i4 (6), u3 i2 (10); none is head.
      assertEquals(56.0 / 4, r.metric("rec_mean_train_count@1"), EPS, at);
      assertEquals(0.0, r.metric("rec_head_share@1"), EPS, at);
      assertEquals(0L, r.counts().get("test_pairs_also_in_train"), at);
    }
  }

  @Test
  void aTestPairAlsoSeenInTrainingIsCountedAndCannotBeHitWhenFiltering() {
    int[][] test = {{0, 0}};   // u0 trained on i0, its best item
    EvalSettings filtered = new EvalSettings(List.of(1), true, 0.5, 0.3, 8, 8);
    EvalResult r = new FullCatalogEvaluator(filtered).evaluate(embeddings(spark, "user_idx", USERS),
        embeddings(spark, "item_idx", ITEMS), pairs(spark, test), pairs(spark, TRAIN), COUNTS);
    assertEquals(1L, r.counts().get("test_pairs_also_in_train"));
    assertEquals(0.0, r.metric("recall@1"), EPS);
    EvalSettings unfiltered = new EvalSettings(List.of(1), false, 0.5, 0.3, 8, 8);
    EvalResult u = new FullCatalogEvaluator(unfiltered).evaluate(embeddings(spark, "user_idx", USERS),
        embeddings(spark, "item_idx", ITEMS), pairs(spark, test), pairs(spark, TRAIN), COUNTS);
    assertEquals(1.0, u.metric("recall@1"), EPS);
  }

  @Test
  void inputErrorsNameTheProblem() {
    EvalSettings s = new EvalSettings(List.of(1), false, 0.5, 0.3, 8, 8);
    IllegalArgumentException tooFewCounts = assertThrows(IllegalArgumentException.class,
        () -> new FullCatalogEvaluator(s).evaluate(embeddings(spark, "user_idx", USERS),
            embeddings(spark, "item_idx", ITEMS), pairs(spark, TEST), pairs(spark, TRAIN), new long[] {1, 2, 3}));
    assertTrue(tooFewCounts.getMessage().contains("item_idx 6"), tooFewCounts.getMessage());
    IllegalArgumentException noColumn = assertThrows(IllegalArgumentException.class,
        () -> new FullCatalogEvaluator(s).evaluate(embeddings(spark, "user_id", USERS),
            embeddings(spark, "item_idx", ITEMS), pairs(spark, TEST), pairs(spark, TRAIN), COUNTS));
    assertTrue(noColumn.getMessage().contains("user_idx"), noColumn.getMessage());
  }

  // ---------------------------------------------------------------- random example, independent reference

  /** Random data: 50 users x 200 items, a few exact duplicate items so that ties occur. */
  private static final class RandomCase {
    final float[][] users;
    final float[][] items;
    final int[][] train;
    final int[][] test;
    final long[] counts;

    RandomCase(long seed, int numUsers, int numItems, int dim) {
      Random rnd = new Random(seed);
      users = new float[numUsers][dim];
      items = new float[numItems][dim];
      for (float[] u : users) {
        for (int p = 0; p < dim; p++) {
          u[p] = (float) rnd.nextGaussian();
        }
      }
      for (int i = 0; i < numItems; i++) {
        if (i >= 10 && i % 10 == 0) {
          items[i] = items[i - 7].clone();   // exact tie with an item of lower index
        } else {
          for (int p = 0; p < dim; p++) {
            items[i][p] = (float) rnd.nextGaussian();
          }
        }
      }
      List<int[]> tr = new ArrayList<>();
      List<int[]> te = new ArrayList<>();
      counts = new long[numItems];
      for (int u = 0; u < numUsers; u++) {
        List<Integer> shuffled = IntStream.range(0, numItems).boxed().collect(Collectors.toList());
        java.util.Collections.shuffle(shuffled, rnd);
        int[] perm = shuffled.stream().mapToInt(Integer::intValue).toArray();
        int nTrain = rnd.nextInt(12);
        int nTest = 1 + rnd.nextInt(5);
        for (int j = 0; j < nTrain; j++) {
          tr.add(new int[] {u, perm[j]});
          counts[perm[j]]++;
        }
        for (int j = nTrain; j < nTrain + nTest; j++) {
          te.add(new int[] {u, perm[j]});
        }
      }
      for (int i = 0; i < numItems; i++) {
        counts[i] += rnd.nextInt(1 + i % 17);   // a skewed popularity beyond these users
      }
      train = tr.toArray(new int[0][]);
      test = te.toArray(new int[0][]);
    }

    /** The same float arithmetic as Matrices.multiplyTransposed, one user at a time, sorted fully. */
    int[] bruteForceRanking(int u, boolean filterSeen, int k) {
      Set<Integer> seen = new TreeSet<>();
      if (filterSeen) {
        for (int[] p : train) {
          if (p[0] == u) {
            seen.add(p[1]);
          }
        }
      }
      float[] scores = new float[items.length];
      for (int i = 0; i < items.length; i++) {
        float s = 0f;
        for (int p = 0; p < users[u].length; p++) {
          s += users[u][p] * items[i][p];
        }
        scores[i] = s;
      }
      return IntStream.range(0, items.length).filter(i -> !seen.contains(i)).boxed()
          .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
          .limit(k).mapToInt(Integer::intValue).toArray();
    }

    Map<Integer, int[]> testSets() {
      Map<Integer, Set<Integer>> m = new HashMap<>();
      for (int[] p : test) {
        m.computeIfAbsent(p[0], x -> new TreeSet<>()).add(p[1]);
      }
      return m.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
          e -> e.getValue().stream().mapToInt(Integer::intValue).toArray()));
    }
  }

  @Test
  void agreesWithSparkMllibRankingMetricsOnARandomExample() {
    RandomCase c = new RandomCase(17, 50, 200, 8);
    List<Integer> ks = List.of(1, 10, 20, 100);
    EvalSettings s = new EvalSettings(ks, true, 0.5, 0.3, 16, 64);
    EvalResult ours = new FullCatalogEvaluator(s).evaluate(embeddings(spark, "user_idx", c.users),
        embeddings(spark, "item_idx", c.items), pairs(spark, c.test), pairs(spark, c.train), c.counts);

    // Independent: brute-force rankings on the driver, metrics from MLlib.
    List<Tuple2<List<Integer>, List<Integer>>> predictionAndLabels = new ArrayList<>();
    double rrSum = 0;
    for (Map.Entry<Integer, int[]> e : c.testSets().entrySet()) {
      int[] ranking = c.bruteForceRanking(e.getKey(), true, 100);
      // Mutable lists: Kryo (LOGQ_TEST_SERIALIZER) cannot rebuild immutable ones.
      List<Integer> pred = Arrays.stream(ranking).boxed().collect(Collectors.toList());
      List<Integer> labels = Arrays.stream(e.getValue()).boxed().collect(Collectors.toList());
      predictionAndLabels.add(new Tuple2<>(pred, labels));
      for (int r = 0; r < pred.size(); r++) {
        if (labels.contains(pred.get(r))) {
          rrSum += 1.0 / (r + 1);
          break;
        }
      }
    }
    JavaRDD<Tuple2<List<Integer>, List<Integer>>> rdd =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(predictionAndLabels, 2);
    RankingMetrics<Integer> mllib = RankingMetrics.<Integer, List<Integer>, List<Object>>of(rdd);

    for (int k : ks) {
      assertEquals(mllib.ndcgAt(k), ours.metric("ndcg@" + k), 1e-12, "ndcg@" + k);
    }
    // MLlib's recall divides by |test|, ours by min(K, |test|): equal where every user has <= K
    // test items (at most 5 here), and at K = 1 ours equals MLlib's precision@1.
    for (int k : List.of(10, 20, 100)) {
      assertEquals(mllib.recallAt(k), ours.metric("recall@" + k), 1e-12, "recall@" + k);
    }
    assertEquals(mllib.precisionAt(1), ours.metric("recall@1"), 1e-12, "recall@1 vs precision@1");
    assertEquals(rrSum / predictionAndLabels.size(), ours.metric("mrr"), 1e-12);
    assertEquals(50L, ours.counts().get("evaluated_users"));
    // Not a degenerate check: the model is random, so the numbers are neither 0 nor 1.
    assertTrue(ours.metric("recall@20") > 0 && ours.metric("recall@20") < 1, "recall@20 " + ours.metric("recall@20"));
  }

  @Test
  void blockedTopKEqualsBruteForceForAnyBlocking() {
    RandomCase c = new RandomCase(23, 37, 150, 5);
    int k = 12;
    Map<Integer, int[]> expectedFiltered = new HashMap<>();
    Map<Integer, int[]> expectedAll = new HashMap<>();
    for (int u = 0; u < c.users.length; u++) {
      expectedFiltered.put(u, c.bruteForceRanking(u, true, k));
      expectedAll.put(u, c.bruteForceRanking(u, false, k));
    }
    Dataset<Row> users = embeddings(spark, "user_idx", c.users);
    Dataset<Row> items = embeddings(spark, "item_idx", c.items);
    Dataset<Row> train = pairs(spark, c.train);
    EvalResult reference = null;
    // Block sizes that divide neither 37 users nor 150 items, single rows, and one block for all.
    for (int[] blocks : new int[][] {{1, 1}, {5, 7}, {4096, 4096}}) {
      EvalSettings s = new EvalSettings(List.of(1, 5, 12), true, 0.5, 0.3, blocks[0], blocks[1]);
      FullCatalogEvaluator evaluator = new FullCatalogEvaluator(s);
      var ranked = evaluator.recommend(users, items, train, k);
      Map<Integer, int[]> got = ranked.collectAsMap();
      ranked.unpersist();
      assertEquals(c.users.length, got.size());
      for (int u = 0; u < c.users.length; u++) {
        assertArrayEquals(expectedFiltered.get(u), got.get(u), "user " + u + " blocks " + Arrays.toString(blocks));
      }
      Map<Integer, int[]> unfiltered = evaluator.recommend(users, items, null, k).collectAsMap();
      for (int u = 0; u < c.users.length; u++) {
        assertArrayEquals(expectedAll.get(u), unfiltered.get(u), "unfiltered user " + u);
      }
      EvalResult r = evaluator.evaluate(users, items, pairs(spark, c.test), train, c.counts);
      if (reference == null) {
        reference = r;
      } else {
        for (Map.Entry<String, Double> e : reference.metrics().entrySet()) {
          assertEquals(e.getValue(), r.metric(e.getKey()), 1e-12, e.getKey() + " blocks " + Arrays.toString(blocks));
        }
      }
    }
  }

  /**
   * Issue 13: the recommendations of the evaluation's own pass are an independent brute-force top K of the
   * embeddings (test users only, training items filtered, scores included), for a K above and below the
   * evaluation's, and the metrics are exactly those of the evaluation without recommendations.
   */
  @Test
  void evaluateAndRecommendGivesTheBruteForceTopKOfTheTestUsersAndTheSameMetrics() {
    RandomCase c = new RandomCase(31, 41, 120, 6);
    // Only the even users have test pairs: the others must get no recommendations from this pass.
    int[][] test = Arrays.stream(c.test).filter(p -> p[0] % 2 == 0).toArray(int[][]::new);
    Dataset<Row> users = embeddings(spark, "user_idx", c.users);
    Dataset<Row> items = embeddings(spark, "item_idx", c.items);
    Dataset<Row> train = pairs(spark, c.train);
    EvalSettings s = new EvalSettings(List.of(1, 5, 10), true, 0.5, 0.3, 7, 33);
    FullCatalogEvaluator evaluator = new FullCatalogEvaluator(s);
    EvalResult alone = evaluator.evaluate(users, items, pairs(spark, test), train, c.counts);
    for (int k : new int[] {3, 10, 25}) {
      FullCatalogEvaluator.Evaluation both = evaluator.evaluateAndRecommend(users, items, pairs(spark, test), train,
          c.counts, k);
      Map<Integer, dev.logq.common.eval.TopK> got;
      try {
        got = both.top().collectAsMap();
      } finally {
        both.release();
      }
      assertEquals(alone.metrics(), both.result().metrics(), "metrics with recommendK " + k);
      assertEquals(alone.counts(), both.result().counts(), "counts with recommendK " + k);
      assertEquals(Arrays.stream(test).map(p -> p[0]).collect(Collectors.toCollection(TreeSet::new)),
          new TreeSet<>(got.keySet()), "the test users, and only them");
      for (Map.Entry<Integer, dev.logq.common.eval.TopK> e : got.entrySet()) {
        int u = e.getKey();
        assertArrayEquals(c.bruteForceRanking(u, true, k), e.getValue().sortedItems(), "user " + u + " K " + k);
        float[] scores = e.getValue().sortedScores();
        int[] ranked = e.getValue().sortedItems();
        for (int r = 0; r < ranked.length; r++) {
          double dot = 0;
          for (int p = 0; p < c.users[u].length; p++) {
            dot += (double) c.users[u][p] * c.items[ranked[r]][p];
          }
          assertEquals(dot, scores[r], 1e-5, "score of user " + u + " rank " + (r + 1));
        }
      }
    }
  }
}
