package dev.logq.common.eval;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/** eval.*: full-catalog retrieval metrics ({@link RetrievalMetrics}, {@link PopularityBuckets}). */
public final class EvaluationSettings implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final Setting<List<Integer>> K = Setting.integers("eval.k", List.of(1, 10, 20, 100), 1, false, """
      Cut-offs K of Recall@K and nDCG@K, over the full catalog.""");
  public static final Setting<Boolean> FILTER_SEEN = Setting.flag("eval.filterSeen", true, """
      Remove items the user interacted with in training from their ranking.""");
  public static final Setting<Double> HEAD_SHARE = Setting.number("eval.headShare", 0.5, 0, false, 1, true, """
      Popularity buckets by training count: the most popular items that make up headShare of the
      training interactions are "head", the next torsoShare are "torso", the rest "tail".""");
  public static final Setting<Double> TORSO_SHARE = Setting.number("eval.torsoShare", 0.3, 0, true, 1, true, """
      See headShare; headShare + torsoShare <= 1.""");
  public static final Setting<Integer> ITEM_BLOCK_SIZE = Setting.integer("eval.itemBlockSize", 4096, 1, 1 << 24, """
      Items per block in the blocked user x item score multiply.""");
  public static final Setting<Integer> USER_BLOCK_SIZE = Setting.integer("eval.userBlockSize", 4096, 1, 1 << 24, """
      Users per block in the blocked user x item score multiply.""");

  public static final List<Setting<?>> SETTINGS = List.of(K, FILTER_SEEN, HEAD_SHARE, TORSO_SHARE, ITEM_BLOCK_SIZE,
      USER_BLOCK_SIZE);

  private final int[] k;
  private final boolean filterSeen;
  private final double headShare;
  private final double torsoShare;
  private final int itemBlockSize;
  private final int userBlockSize;

  public EvaluationSettings(SettingReader r) {
    k = r.get(K).stream().mapToInt(Integer::intValue).toArray();
    filterSeen = r.get(FILTER_SEEN);
    headShare = r.get(HEAD_SHARE);
    torsoShare = r.get(TORSO_SHARE);
    itemBlockSize = r.get(ITEM_BLOCK_SIZE);
    userBlockSize = r.get(USER_BLOCK_SIZE);
    if (Arrays.stream(k).distinct().count() != k.length) {
      r.problem("eval.k", Arrays.toString(k), "distinct cut-offs");
    }
    if (headShare + torsoShare > 1 + 1e-12) {
      r.problem("eval.torsoShare", torsoShare, "at most 1 - eval.headShare = " + (1 - headShare));
    }
  }

  /** The cut-offs K, in the order given (a copy). */
  public int[] k() {
    return k.clone();
  }

  public int maxK() {
    return Arrays.stream(k).max().orElse(0);
  }

  public boolean filterSeen() {
    return filterSeen;
  }

  public double headShare() {
    return headShare;
  }

  public double torsoShare() {
    return torsoShare;
  }

  public int itemBlockSize() {
    return itemBlockSize;
  }

  public int userBlockSize() {
    return userBlockSize;
  }
}
