package dev.logq.common.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {

  private static final double EPS = 1e-12;
  private static final int[] RANKED = {3, 1, 4, 5, 9};
  private static final int[] RELEVANT = {1, 5, 7};

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  @Test
  void recallDividesByTheSmallerOfKAndTheNumberOfRelevantItems() {
    assertEquals(0.0, RetrievalMetrics.recallAt(RANKED, RELEVANT, 1), EPS);
    assertEquals(1.0 / 2, RetrievalMetrics.recallAt(RANKED, RELEVANT, 2), EPS);
    assertEquals(1.0 / 3, RetrievalMetrics.recallAt(RANKED, RELEVANT, 3), EPS);
    assertEquals(2.0 / 3, RetrievalMetrics.recallAt(RANKED, RELEVANT, 4), EPS);
    assertEquals(2.0 / 3, RetrievalMetrics.recallAt(RANKED, RELEVANT, 100), EPS);
  }

  @Test
  void ndcgWithBinaryRelevance() {
    // Hits at ranks 2 and 4.
    double dcg2 = 1 / log2(3);
    assertEquals(dcg2 / (1 + 1 / log2(3)), RetrievalMetrics.ndcgAt(RANKED, RELEVANT, 2), EPS);
    double dcg5 = 1 / log2(3) + 1 / log2(5);
    double ideal3 = 1 + 1 / log2(3) + 1 / log2(4);
    assertEquals(dcg5 / ideal3, RetrievalMetrics.ndcgAt(RANKED, RELEVANT, 5), EPS);
    assertEquals(0.0, RetrievalMetrics.ndcgAt(RANKED, RELEVANT, 1), EPS);
    assertEquals(1.0, RetrievalMetrics.ndcgAt(new int[] {5, 1, 7}, RELEVANT, 3), EPS);
  }

  @Test
  void hitRateAndReciprocalRank() {
    assertEquals(0.0, RetrievalMetrics.hitRateAt(RANKED, RELEVANT, 1), EPS);
    assertEquals(1.0, RetrievalMetrics.hitRateAt(RANKED, RELEVANT, 2), EPS);
    assertEquals(0.5, RetrievalMetrics.reciprocalRank(RANKED, RELEVANT), EPS);
    assertEquals(0.0, RetrievalMetrics.reciprocalRank(new int[] {2, 3}, RELEVANT), EPS);
  }

  @Test
  void aUserWithoutRelevantItemsIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.recallAt(RANKED, new int[0], 5));
  }
}
