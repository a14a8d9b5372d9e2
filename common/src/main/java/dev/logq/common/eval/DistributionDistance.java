package dev.logq.common.eval;

/**
 * Distances between a true distribution P(.|u) over items and the model's
 * P_model(.|u) = softmax(scale * s(u, .)), in double precision.
 *
 * <ul>
 *   <li>KL(true || model) = sum_i p_i (log p_i - log q_i), terms with p_i = 0 contribute 0; in nats.
 *       Infinite only if the model gives an item with p_i > 0 probability exactly 0, which a softmax of
 *       finite scores never does.</li>
 *   <li>Total variation = 1/2 sum_i |p_i - q_i|, in [0, 1].</li>
 * </ul>
 * {@code scale} is 1 / temperature when the model's softmax divides scores by a temperature.
 */
public final class DistributionDistance {

  /** Tolerance on sum(p) = 1 for a caller-supplied distribution. */
  public static final double SUM_TOLERANCE = 1e-6;

  private DistributionDistance() {}

  /** KL and TV for one user. */
  public record Distance(double kl, double totalVariation) {}

  public static Distance between(int userIdx, double[] trueProbabilities, float[] scores, double scale) {
    validate(userIdx, trueProbabilities, scores.length);
    double[] logQ = logSoftmax(scores, scale);
    double kl = 0;
    double tv = 0;
    for (int i = 0; i < logQ.length; i++) {
      double p = trueProbabilities[i];
      if (p > 0) {
        kl += p * (Math.log(p) - logQ[i]);
      }
      tv += Math.abs(p - Math.exp(logQ[i]));
    }
    // Rounding can push a tiny KL below zero; it is a divergence, never negative.
    return new Distance(Math.max(0.0, kl), 0.5 * tv);
  }

  /** log softmax(scale * scores), max-subtracted. */
  public static double[] logSoftmax(float[] scores, double scale) {
    if (scores.length == 0) {
      throw new IllegalArgumentException("softmax over an empty catalog");
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float s : scores) {
      if (!Float.isFinite(s)) {
        throw new IllegalArgumentException("model score is not finite: " + s);
      }
      max = Math.max(max, scale * s);
    }
    double sum = 0;
    for (float s : scores) {
      sum += Math.exp(scale * s - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      out[i] = scale * scores[i] - logZ;
    }
    return out;
  }

  private static void validate(int userIdx, double[] p, int numItems) {
    if (p == null || p.length != numItems) {
      throw new IllegalArgumentException("true distribution of user " + userIdx + " has "
          + (p == null ? "no" : String.valueOf(p.length)) + " entries, but the catalog has " + numItems + " items");
    }
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      if (!(p[i] >= 0) || Double.isInfinite(p[i])) {
        throw new IllegalArgumentException("true P(item " + i + " | user " + userIdx + ") = " + p[i]
            + " is not a probability");
      }
      sum += p[i];
    }
    if (Math.abs(sum - 1.0) > SUM_TOLERANCE) {
      throw new IllegalArgumentException("true P(. | user " + userIdx + ") sums to " + sum + ", not 1");
    }
  }
}
