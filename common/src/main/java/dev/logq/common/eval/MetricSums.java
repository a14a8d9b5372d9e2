package dev.logq.common.eval;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sums of per-user metrics, mergeable, so that Spark can aggregate them over partitions and the
 * driver only divides at the end (see {@link RetrievalMetrics} for the definitions).
 *
 * <p>Besides the per-user means it keeps, for every K:
 * <ul>
 *   <li>per popularity bucket of the <i>target</i> item, the share of test pairs (user, item) whose
 *       item is in the user's top K ("recall@K/head" etc.: a per-pair hit rate);</li>
 *   <li>the popularity of what is recommended: mean training count and mean popularity percentile of
 *       the top-K items, and the share of them that are head items, over all recommendations made.</li>
 * </ul>
 */
public final class MetricSums implements Serializable {

  private static final long serialVersionUID = 1L;
  private static final int BUCKETS = PopularityBuckets.Bucket.values().length;

  private final int[] ks;
  private long users;
  private long testPairs;
  private final double[] recall;
  private final double[] ndcg;
  private final double[] hits;
  private double reciprocalRank;
  private final long[] bucketPairs;
  private final long[][] bucketHits;
  private final long[] recommended;
  private final double[] recommendedCount;
  private final double[] recommendedPercentile;
  private final long[] recommendedHead;

  /** @param ks the cut-offs, positive; duplicates are dropped and the order is ascending */
  public MetricSums(int[] ks) {
    this.ks = Arrays.stream(ks).distinct().sorted().toArray();
    if (this.ks.length == 0 || this.ks[0] < 1) {
      throw new IllegalArgumentException("eval.k must list positive cut-offs, got " + Arrays.toString(ks));
    }
    int n = this.ks.length;
    recall = new double[n];
    ndcg = new double[n];
    hits = new double[n];
    bucketPairs = new long[BUCKETS];
    bucketHits = new long[n][BUCKETS];
    recommended = new long[n];
    recommendedCount = new double[n];
    recommendedPercentile = new double[n];
    recommendedHead = new long[n];
  }

  public int[] ks() {
    return ks.clone();
  }

  public int maxK() {
    return ks[ks.length - 1];
  }

  public long users() {
    return users;
  }

  public long testPairs() {
    return testPairs;
  }

  /**
   * Adds one user.
   *
   * @param ranked the user's recommendations, best first, at least {@link #maxK()} long unless the
   *     catalog (after filtering) is smaller
   * @param relevantSorted the user's test items, sorted ascending and distinct, not empty
   */
  public MetricSums addUser(int[] ranked, int[] relevantSorted, PopularityBuckets popularity) {
    users++;
    testPairs += relevantSorted.length;
    for (int j = 0; j < ks.length; j++) {
      int k = ks[j];
      recall[j] += RetrievalMetrics.recallAt(ranked, relevantSorted, k);
      ndcg[j] += RetrievalMetrics.ndcgAt(ranked, relevantSorted, k);
      hits[j] += RetrievalMetrics.hitRateAt(ranked, relevantSorted, k);
      int n = Math.min(k, ranked.length);
      for (int r = 0; r < n; r++) {
        int item = ranked[r];
        recommended[j]++;
        recommendedCount[j] += popularity.countOf(item);
        recommendedPercentile[j] += popularity.percentileOf(item);
        if (popularity.bucketOf(item) == PopularityBuckets.Bucket.HEAD) {
          recommendedHead[j]++;
        }
      }
    }
    reciprocalRank += RetrievalMetrics.reciprocalRank(ranked, relevantSorted);

    // Rank of each test item in the list (or "not in it"), then one pass per cut-off.
    for (int target : relevantSorted) {
      int b = popularity.bucketOf(target).ordinal();
      bucketPairs[b]++;
      int rank = indexOf(ranked, target);
      if (rank >= 0) {
        for (int j = 0; j < ks.length; j++) {
          if (rank < ks[j]) {
            bucketHits[j][b]++;
          }
        }
      }
    }
    return this;
  }

  private static int indexOf(int[] a, int value) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == value) {
        return i;
      }
    }
    return -1;
  }

  /** Adds {@code other} (same cut-offs) into this and returns this. */
  public MetricSums merge(MetricSums other) {
    if (!Arrays.equals(ks, other.ks)) {
      throw new IllegalArgumentException("cannot merge metric sums with different cut-offs "
          + Arrays.toString(ks) + " and " + Arrays.toString(other.ks));
    }
    users += other.users;
    testPairs += other.testPairs;
    reciprocalRank += other.reciprocalRank;
    for (int b = 0; b < BUCKETS; b++) {
      bucketPairs[b] += other.bucketPairs[b];
    }
    for (int j = 0; j < ks.length; j++) {
      recall[j] += other.recall[j];
      ndcg[j] += other.ndcg[j];
      hits[j] += other.hits[j];
      recommended[j] += other.recommended[j];
      recommendedCount[j] += other.recommendedCount[j];
      recommendedPercentile[j] += other.recommendedPercentile[j];
      recommendedHead[j] += other.recommendedHead[j];
      for (int b = 0; b < BUCKETS; b++) {
        bucketHits[j][b] += other.bucketHits[j][b];
      }
    }
    return this;
  }

  /** Number of test pairs whose target item is in the bucket. */
  public long bucketPairs(PopularityBuckets.Bucket bucket) {
    return bucketPairs[bucket.ordinal()];
  }

  /**
   * The means, keyed by {@link MetricNames}: recall/ndcg/hitrate at every K, mrr, the bucket
   * recalls and the popularity of recommendations. A mean over nothing (no users, an empty bucket)
   * is NaN.
   */
  public Map<String, Double> means() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (int j = 0; j < ks.length; j++) {
      out.put(MetricNames.recall(ks[j]), ratio(recall[j], users));
    }
    for (int j = 0; j < ks.length; j++) {
      out.put(MetricNames.ndcg(ks[j]), ratio(ndcg[j], users));
    }
    for (int j = 0; j < ks.length; j++) {
      out.put(MetricNames.hitRate(ks[j]), ratio(hits[j], users));
    }
    out.put(MetricNames.MRR, ratio(reciprocalRank, users));
    for (int j = 0; j < ks.length; j++) {
      for (PopularityBuckets.Bucket b : PopularityBuckets.Bucket.values()) {
        out.put(MetricNames.bucketRecall(ks[j], b), ratio(bucketHits[j][b.ordinal()], bucketPairs[b.ordinal()]));
      }
    }
    for (int j = 0; j < ks.length; j++) {
      out.put(MetricNames.recommendedMeanCount(ks[j]), ratio(recommendedCount[j], recommended[j]));
      out.put(MetricNames.recommendedMeanPercentile(ks[j]), ratio(recommendedPercentile[j], recommended[j]));
      out.put(MetricNames.recommendedHeadShare(ks[j]), ratio(recommendedHead[j], recommended[j]));
    }
    return out;
  }

  private static double ratio(double sum, long n) {
    return n == 0 ? Double.NaN : sum / n;
  }
}
