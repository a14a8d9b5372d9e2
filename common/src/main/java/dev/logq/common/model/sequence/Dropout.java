package dev.logq.common.model.sequence;

import java.util.SplittableRandom;

/**
 * Inverted dropout with an explicit mask: mask[i] = 0 with probability p, else 1 / (1 - p); y = x * mask and
 * dx = dy * mask. Masks are drawn from a {@link SplittableRandom} in index order, one 64-bit draw for two
 * elements (element 2i takes the high 32 bits, 2i + 1 the low 32; an element is dropped when its 32 bits, read
 * unsigned, are below round(p * 2^32)), so a step's masks depend only on the generator's state and the shapes,
 * never on the data. Two elements a draw halve the generator's share of a step (about a tenth of the sequence
 * tower's step at L = 50 with one double per element); the drop probability is p to within 2^-33.
 */
final class Dropout {

  private Dropout() {}

  /** A fresh mask of n values, or null (identity) when p == 0 or rng is null (inference). */
  static float[] mask(SplittableRandom rng, double p, int n) {
    if (rng == null || p == 0.0) {
      return null;
    }
    float keep = (float) (1.0 / (1.0 - p));
    long threshold = Math.round(p * 0x1p32);
    float[] mask = new float[n];
    int i = 0;
    for (; i + 1 < n; i += 2) {
      long bits = rng.nextLong();
      // Branch-free (which draws fall below the threshold is unpredictable): threshold - 1 - x is negative, its
      // sign bit 1, exactly when x >= threshold, i.e. when the element is kept.
      mask[i] = keep * (((threshold - 1 - (bits >>> 32)) >>> 63));
      mask[i + 1] = keep * (((threshold - 1 - (bits & 0xffffffffL)) >>> 63));
    }
    if (i < n) {
      mask[i] = (rng.nextLong() >>> 32) < threshold ? 0f : keep;
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
