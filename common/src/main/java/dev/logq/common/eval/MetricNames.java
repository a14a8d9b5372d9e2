package dev.logq.common.eval;

/**
 * The keys under which evaluation metrics are reported (metrics.json, the comparison table, the
 * charts). One place so that the writer and the readers cannot drift apart.
 */
public final class MetricNames {

  private MetricNames() {}

  public static final String MRR = "mrr";

  public static String recall(int k) {
    return "recall@" + k;
  }

  public static String ndcg(int k) {
    return "ndcg@" + k;
  }

  public static String hitRate(int k) {
    return "hitrate@" + k;
  }

  /** Hit rate of the test pairs whose target item is in the bucket, e.g. "recall@10/head". */
  public static String bucketRecall(int k, PopularityBuckets.Bucket bucket) {
    return "recall@" + k + "/" + bucket.label();
  }

  /** Mean training count of the top-K recommended items. */
  public static String recommendedMeanCount(int k) {
    return "rec_mean_train_count@" + k;
  }

  /** Mean popularity percentile (0..100) of the top-K recommended items. */
  public static String recommendedMeanPercentile(int k) {
    return "rec_mean_popularity_percentile@" + k;
  }

  /** Share of the top-K recommendations that are head items. */
  public static String recommendedHeadShare(int k) {
    return "rec_head_share@" + k;
  }
}
