package dev.logq.common.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricSumsTest {

  private static final double EPS = 1e-12;

  @Test
  void meansOverUsersBucketsAndRecommendedPopularity() {
    // Counts: item0 60 (head), item1 25 (torso), items 2..4 5 each (tail); total 100, shares .5/.3.
    PopularityBuckets pop = new PopularityBuckets(new long[] {60, 25, 5, 5, 5}, 0.5, 0.3);
    MetricSums sums = new MetricSums(new int[] {2, 1});
    // User A: ranking 0,2,1; test {1}: hit at rank 3.
    sums.addUser(new int[] {0, 2, 1}, new int[] {1}, pop);
    // User B: ranking 3,0,4; test {0, 3}: hits at ranks 1 and 2.
    MetricSums other = new MetricSums(new int[] {1, 2});
    other.addUser(new int[] {3, 0, 4}, new int[] {0, 3}, pop);
    sums.merge(other);
    Map<String, Double> m = sums.means();

    assertEquals(2, sums.users());
    assertEquals(3, sums.testPairs());
    assertEquals((0 + 1.0) / 2, m.get("recall@1"), EPS);
    assertEquals((0 + 1.0) / 2, m.get("recall@2"), EPS);
    assertEquals((0 + 1.0) / 2, m.get("hitrate@2"), EPS);
    assertEquals((0 + 1.0) / 2, m.get("ndcg@2"), EPS);
    assertEquals((1.0 / 3 + 1.0) / 2, m.get("mrr"), EPS);
    // Pairs: (A,1) torso miss@2; (B,0) head hit at rank 2; (B,3) tail hit at rank 1.
    assertEquals(1.0, m.get("recall@2/head"), EPS);
    assertEquals(0.0, m.get("recall@1/head"), EPS);
    assertEquals(0.0, m.get("recall@2/torso"), EPS);
    assertEquals(1.0, m.get("recall@1/tail"), EPS);
    // Top-2 recommendations: A -> 0, 2; B -> 3, 0. Counts 60, 5, 5, 60.
    assertEquals(130.0 / 4, m.get("rec_mean_train_count@2"), EPS);
    assertEquals(0.5, m.get("rec_head_share@2"), EPS);
    assertEquals(0.5, m.get("rec_head_share@1"), EPS);
    // Percentiles: item0 90, items 2..4 30 (sorted 5,5,5,25,60).
    assertEquals((90 + 30 + 30 + 90) / 4.0, m.get("rec_mean_popularity_percentile@2"), 1e-4);
  }

  @Test
  void emptyMeansAreNaNAndCutOffsMustMatch() {
    MetricSums empty = new MetricSums(new int[] {10});
    assertTrue(empty.means().get("recall@10").isNaN());
    assertThrows(IllegalArgumentException.class, () -> empty.merge(new MetricSums(new int[] {20})));
    assertThrows(IllegalArgumentException.class, () -> new MetricSums(new int[] {0, 5}));
  }
}
