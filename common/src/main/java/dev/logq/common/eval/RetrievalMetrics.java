package dev.logq.common.eval;

import java.util.Arrays;

/**
 * Ranking metrics of one user's ranked recommendation list against that user's test items, binary
 * relevance. {@code ranked} is best first; {@code relevant} must be sorted ascending and distinct.
 *
 * <ul>
 *   <li>Recall@K = hits in the top K / min(K, |relevant|). The min makes a perfect ranking score 1
 *       even when a user has more test items than K. With one test item per user (leave-last-out)
 *       it equals HitRate@K. Spark MLlib's {@code RankingMetrics.recallAt} divides by |relevant|
 *       instead; the two agree whenever |relevant| <= K.</li>
 *   <li>nDCG@K = DCG@K / IDCG@K with DCG@K = sum over ranks r = 1..K of rel_r / log2(r + 1) and
 *       IDCG@K the DCG of a perfect list, i.e. over ranks 1..min(K, |relevant|). Same as MLlib's
 *       {@code ndcgAt} for binary relevance.</li>
 *   <li>HitRate@K = 1 if any relevant item is in the top K, else 0.</li>
 *   <li>Reciprocal rank = 1 / (rank of the first relevant item) in the whole list given, 0 if none;
 *       its mean over users is MRR (truncated at the list length, i.e. the largest K evaluated).</li>
 * </ul>
 * A user with no relevant items has no defined value; callers leave such users out.
 */
public final class RetrievalMetrics {

  private RetrievalMetrics() {}

  public static boolean isRelevant(int[] relevantSorted, int item) {
    return Arrays.binarySearch(relevantSorted, item) >= 0;
  }

  public static int hitsAt(int[] ranked, int[] relevantSorted, int k) {
    int n = Math.min(k, ranked.length);
    int hits = 0;
    for (int r = 0; r < n; r++) {
      if (isRelevant(relevantSorted, ranked[r])) {
        hits++;
      }
    }
    return hits;
  }

  public static double recallAt(int[] ranked, int[] relevantSorted, int k) {
    requireRelevant(relevantSorted);
    return (double) hitsAt(ranked, relevantSorted, k) / Math.min(k, relevantSorted.length);
  }

  public static double hitRateAt(int[] ranked, int[] relevantSorted, int k) {
    requireRelevant(relevantSorted);
    return hitsAt(ranked, relevantSorted, k) > 0 ? 1.0 : 0.0;
  }

  public static double ndcgAt(int[] ranked, int[] relevantSorted, int k) {
    requireRelevant(relevantSorted);
    int n = Math.min(k, ranked.length);
    double dcg = 0;
    for (int r = 0; r < n; r++) {
      if (isRelevant(relevantSorted, ranked[r])) {
        dcg += discount(r);
      }
    }
    double ideal = 0;
    int idealHits = Math.min(k, relevantSorted.length);
    for (int r = 0; r < idealHits; r++) {
      ideal += discount(r);
    }
    return dcg / ideal;
  }

  public static double reciprocalRank(int[] ranked, int[] relevantSorted) {
    requireRelevant(relevantSorted);
    for (int r = 0; r < ranked.length; r++) {
      if (isRelevant(relevantSorted, ranked[r])) {
        return 1.0 / (r + 1);
      }
    }
    return 0.0;
  }

  /** 1 / log2(position + 2) for a 0-based position. */
  static double discount(int position) {
    return Math.log(2) / Math.log(position + 2.0);
  }

  private static void requireRelevant(int[] relevantSorted) {
    if (relevantSorted.length == 0) {
      throw new IllegalArgumentException("ranking metrics need at least one relevant item");
    }
  }
}
