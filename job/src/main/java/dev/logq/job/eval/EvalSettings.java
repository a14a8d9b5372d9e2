package dev.logq.job.eval;

import dev.logq.common.eval.EvaluationSettings;
import java.util.List;

/**
 * The {@code eval.*} knobs the evaluator needs, as plain values (the caller maps its configuration
 * onto them).
 *
 * @param ks the cut-offs K (eval.k), positive; reported in ascending order
 * @param filterSeen remove each user's training items from their ranking (eval.filterSeen)
 * @param headShare share of training interactions covered by the head bucket (eval.headShare)
 * @param torsoShare share covered by the torso bucket after the head (eval.torsoShare)
 * @param userBlockSize users per block of the blocked score multiply (eval.userBlockSize)
 * @param itemBlockSize items per block (eval.itemBlockSize)
 */
public record EvalSettings(List<Integer> ks, boolean filterSeen, double headShare, double torsoShare,
    int userBlockSize, int itemBlockSize) {

  /** The eval.* settings of a job configuration. */
  public static EvalSettings of(EvaluationSettings e) {
    List<Integer> ks = new java.util.ArrayList<>();
    for (int k : e.k()) {
      ks.add(k);
    }
    return new EvalSettings(ks, e.filterSeen(), e.headShare(), e.torsoShare(), e.userBlockSize(), e.itemBlockSize());
  }

  public EvalSettings {
    if (ks == null || ks.isEmpty()) {
      throw new IllegalArgumentException("eval.k must list at least one cut-off");
    }
    for (Integer k : ks) {
      if (k == null || k < 1) {
        throw new IllegalArgumentException("eval.k must contain positive integers, got " + ks);
      }
    }
    ks = ks.stream().distinct().sorted().toList();
    if (!(headShare >= 0 && torsoShare >= 0 && headShare + torsoShare <= 1 + 1e-12)) {
      throw new IllegalArgumentException("eval.headShare and eval.torsoShare must be >= 0 with a sum <= 1, got "
          + headShare + " and " + torsoShare);
    }
    if (userBlockSize < 1) {
      throw new IllegalArgumentException("eval.userBlockSize must be >= 1, got " + userBlockSize);
    }
    if (itemBlockSize < 1) {
      throw new IllegalArgumentException("eval.itemBlockSize must be >= 1, got " + itemBlockSize);
    }
  }

  /** The reference.conf defaults. */
  public static EvalSettings defaults() {
    return new EvalSettings(List.of(1, 10, 20, 100), true, 0.5, 0.3, 4096, 4096);
  }

  public int maxK() {
    return ks.get(ks.size() - 1);
  }

  public int[] ksArray() {
    return ks.stream().mapToInt(Integer::intValue).toArray();
  }
}
