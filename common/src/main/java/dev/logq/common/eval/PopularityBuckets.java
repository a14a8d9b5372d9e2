package dev.logq.common.eval;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Item popularity from training counts: a head / torso / tail bucket and a percentile per item.
 *
 * <p>Buckets: sort items by training count, most popular first (equal counts: lower index first, so
 * the split is deterministic). Walking that order, an item is <b>head</b> while the interactions of
 * the items before it are still below {@code headShare} of all training interactions, i.e. head is
 * the shortest prefix that covers at least {@code headShare}; <b>torso</b> continues the same way up
 * to {@code headShare + torsoShare}; the rest, and every item with no training interaction, is
 * <b>tail</b>. Example: counts 50, 30, 10, 5, 5 with shares 0.5 / 0.3 give head = {50}, torso = {30},
 * tail = {10, 5, 5}.
 *
 * <p>Percentile: the mid-rank percentile of the item's count among all items,
 * {@code 100 * (#items with a smaller count + 0.5 * #items with the same count) / #items}, so equal
 * counts get equal percentiles and the mean over all items is 50.
 *
 * <p>Items outside {@code [0, counts.length)} (e.g. an item that only appears in the test data) have
 * count 0, are tail, and get the percentile of a zero count.
 */
public final class PopularityBuckets implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The three buckets, in order of decreasing popularity. */
  public enum Bucket {
    HEAD("head"), TORSO("torso"), TAIL("tail");

    private final String label;

    Bucket(String label) {
      this.label = label;
    }

    /** Lower-case name used in metric keys and reports. */
    public String label() {
      return label;
    }
  }

  private static final Bucket[] BUCKETS = Bucket.values();

  private final long[] counts;
  private final byte[] bucket;
  private final float[] percentile;
  private final float zeroCountPercentile;
  private final long totalInteractions;
  private final double headShare;
  private final double torsoShare;

  public PopularityBuckets(long[] counts, double headShare, double torsoShare) {
    if (!(headShare >= 0 && headShare <= 1) || !(torsoShare >= 0 && torsoShare <= 1)
        || headShare + torsoShare > 1 + 1e-12) {
      throw new IllegalArgumentException("popularity shares must lie in [0, 1] with headShare + torsoShare <= 1, got headShare="
          + headShare + ", torsoShare=" + torsoShare);
    }
    long total = 0;
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] < 0) {
        throw new IllegalArgumentException("training count of item " + i + " is negative: " + counts[i]);
      }
      total = Math.addExact(total, counts[i]);
    }
    this.counts = counts.clone();
    this.headShare = headShare;
    this.torsoShare = torsoShare;
    this.totalInteractions = total;
    int n = counts.length;
    this.bucket = new byte[n];
    this.percentile = new float[n];

    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -counts[i]).thenComparingInt(i -> i));
    double headLimit = headShare * total;
    double torsoLimit = (headShare + torsoShare) * total;
    long before = 0;
    for (int r = 0; r < n; r++) {
      int item = order[r];
      Bucket b;
      if (counts[item] == 0) {
        b = Bucket.TAIL;
      } else if (before < headLimit) {
        b = Bucket.HEAD;
      } else if (before < torsoLimit) {
        b = Bucket.TORSO;
      } else {
        b = Bucket.TAIL;
      }
      bucket[item] = (byte) b.ordinal();
      before += counts[item];
    }

    // Mid-rank percentiles: walk the ascending order one run of equal counts at a time.
    long[] sorted = counts.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < n; i++) {
      percentile[i] = midRankPercentile(sorted, counts[i]);
    }
    this.zeroCountPercentile = n == 0 ? 0f : midRankPercentile(sorted, 0);
  }

  private static float midRankPercentile(long[] sortedAscending, long value) {
    int less = lowerBound(sortedAscending, value);
    int equal = lowerBound(sortedAscending, value + 1) - less;
    return (float) (100.0 * (less + 0.5 * equal) / sortedAscending.length);
  }

  /** First position whose value is >= key. */
  private static int lowerBound(long[] a, long key) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  public int numItems() {
    return counts.length;
  }

  public long totalInteractions() {
    return totalInteractions;
  }

  public double headShare() {
    return headShare;
  }

  public double torsoShare() {
    return torsoShare;
  }

  public Bucket bucketOf(int item) {
    return item >= 0 && item < bucket.length ? BUCKETS[bucket[item]] : Bucket.TAIL;
  }

  public long countOf(int item) {
    return item >= 0 && item < counts.length ? counts[item] : 0L;
  }

  /** Mid-rank percentile of the item's training count, in [0, 100]. */
  public double percentileOf(int item) {
    return item >= 0 && item < percentile.length ? percentile[item] : zeroCountPercentile;
  }

  /** Number of catalog items in the bucket. */
  public int bucketSize(Bucket b) {
    int n = 0;
    for (byte x : bucket) {
      if (x == b.ordinal()) {
        n++;
      }
    }
    return n;
  }

  /** Training interactions of the items in the bucket. */
  public long bucketInteractions(Bucket b) {
    long sum = 0;
    for (int i = 0; i < bucket.length; i++) {
      if (bucket[i] == b.ordinal()) {
        sum += counts[i];
      }
    }
    return sum;
  }
}
