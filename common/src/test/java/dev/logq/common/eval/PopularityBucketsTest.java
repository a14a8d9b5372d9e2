package dev.logq.common.eval;

import static dev.logq.common.eval.PopularityBuckets.Bucket.HEAD;
import static dev.logq.common.eval.PopularityBuckets.Bucket.TAIL;
import static dev.logq.common.eval.PopularityBuckets.Bucket.TORSO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PopularityBucketsTest {

  // Total 100; by popularity: item1 (50), item3 (30), item4 (10), item0 (5), item5 (5), item2 (0).
  private static final long[] COUNTS = {5, 50, 0, 30, 10, 5};

  @Test
  void headIsTheShortestPrefixCoveringHeadShare() {
    PopularityBuckets p = new PopularityBuckets(COUNTS, 0.5, 0.3);
    assertEquals(HEAD, p.bucketOf(1));
    assertEquals(TORSO, p.bucketOf(3));
    for (int item : new int[] {0, 2, 4, 5}) {
      assertEquals(TAIL, p.bucketOf(item), "item " + item);
    }
    assertEquals(1, p.bucketSize(HEAD));
    assertEquals(50, p.bucketInteractions(HEAD));
    assertEquals(4, p.bucketSize(TAIL));
    assertEquals(20, p.bucketInteractions(TAIL));

    PopularityBuckets wider = new PopularityBuckets(COUNTS, 0.6, 0.3);
    assertEquals(HEAD, wider.bucketOf(1));
    assertEquals(HEAD, wider.bucketOf(3));   // 50 < 60 before it
    assertEquals(TORSO, wider.bucketOf(4));  // 80 < 90 before it
    assertEquals(TAIL, wider.bucketOf(0));   // 90 is not < 90
    assertEquals(TAIL, wider.bucketOf(2));
  }

  @Test
  void equalCountsSplitByLowerIndexFirst() {
    PopularityBuckets p = new PopularityBuckets(new long[] {10, 10, 10, 10}, 0.5, 0.3);
    assertEquals(HEAD, p.bucketOf(0));
    assertEquals(HEAD, p.bucketOf(1));
    assertEquals(TORSO, p.bucketOf(2));
    assertEquals(TORSO, p.bucketOf(3));
  }

  @Test
  void zeroCountAndUnknownItemsAreTail() {
    PopularityBuckets p = new PopularityBuckets(new long[] {0, 0, 4}, 1.0, 0.0);
    assertEquals(HEAD, p.bucketOf(2));
    assertEquals(TAIL, p.bucketOf(0));
    assertEquals(TAIL, p.bucketOf(17));
    assertEquals(0, p.countOf(17));
  }

  @Test
  void midRankPercentiles() {
    PopularityBuckets p = new PopularityBuckets(COUNTS, 0.5, 0.3);
    // Sorted counts 0, 5, 5, 10, 30, 50.
    assertEquals(100 * 2.0 / 6, p.percentileOf(0), 1e-4);
    assertEquals(100 * 5.5 / 6, p.percentileOf(1), 1e-4);
    assertEquals(100 * 0.5 / 6, p.percentileOf(2), 1e-4);
    assertEquals(100 * 4.5 / 6, p.percentileOf(3), 1e-4);
    assertEquals(100 * 3.5 / 6, p.percentileOf(4), 1e-4);
    assertEquals(100 * 2.0 / 6, p.percentileOf(5), 1e-4);
    assertEquals(100 * 0.5 / 6, p.percentileOf(99), 1e-4);
  }

  @Test
  void invalidSharesAndCountsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new PopularityBuckets(COUNTS, 0.8, 0.3));
    assertThrows(IllegalArgumentException.class, () -> new PopularityBuckets(COUNTS, -0.1, 0.3));
    assertThrows(IllegalArgumentException.class, () -> new PopularityBuckets(new long[] {1, -1}, 0.5, 0.3));
  }
}
