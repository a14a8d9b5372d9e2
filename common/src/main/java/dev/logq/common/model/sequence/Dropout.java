package dev.logq.common.model.sequence;

import java.util.SplittableRandom;

/**
 * Inverted dropout with an explicit mask: mask[i] = 0 with probability p, else 1 / (1 - p); y = x * mask and
 * dx = dy * mask. Masks are drawn from a {@link SplittableRandom} one value per element in index order, so a
 * step's masks depend only on the generator's state and the shapes, never on the data.
 */
final class Dropout {

  private Dropout() {}

  /** A fresh mask of n values, or null (identity) when p == 0 or rng is null (inference). */
  static float[] mask(SplittableRandom rng, double p, int n) {
    if (rng == null || p == 0.0) {
      return null;
    }
    float keep = (float) (1.0 / (1.0 - p));
    float[] mask = new float[n];
    for (int i = 0; i < n; i++) {
      mask[i] = rng.nextDouble() < p ? 0f : keep;
    }
    return mask;
  }

  /** x *= mask in place (no-op for a null mask). */
  static void apply(float[] x, float[] mask, int n) {
    if (mask == null) {
      return;
    }
    for (int i = 0; i < n; i++) {
      x[i] *= mask[i];
    }
  }
}
