package dev.logq.common.model;

import java.nio.charset.StandardCharsets;

/**
 * Counter-based standard normal draws: value k of row r of a tensor is a pure function of
 * (seed, tensor name, r, k), so any JVM can rebuild an initial model from its spec alone, and a row can
 * be generated on its own without materialising its neighbours.
 *
 * <p>The algorithm is part of the checkpoint format ({@link TableInit.Kind#GAUSSIAN_V1}); changing it
 * needs a new kind. Exactly: {@code key = mix(seed ^ mix(fnv1a64(utf8(name))))},
 * {@code rowKey = mix(key + r * G)}, and for the pair p = 0, 1, ... of a row
 * {@code h1 = mix(rowKey + (2p + 1) * G)}, {@code h2 = mix(rowKey + (2p + 2) * G)},
 * {@code u1 = ((h1 >>> 11) + 1) / 2^53} in (0, 1], {@code u2 = (h2 >>> 11) / 2^53} in [0, 1), and
 * Box-Muller with {@link StrictMath} (bit-identical on every JVM):
 * {@code value[2p] = r cos(2 pi u2)}, {@code value[2p+1] = r sin(2 pi u2)}, {@code r = sqrt(-2 ln u1)}.
 * {@code mix} is the SplitMix64 finaliser and G = 0x9E3779B97F4A7C15.
 */
final class CounterGaussian {

  static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final double TWO_PI = 2.0 * Math.PI;
  private static final double UNIT = 0x1.0p-53;

  private CounterGaussian() {}

  /** SplitMix64 finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The per-tensor key from the seed and the tensor's name. */
  static long tensorKey(long seed, String name) {
    long h = 0xCBF29CE484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xFF;
      h *= 0x100000001B3L;
    }
    return mix(seed ^ mix(h));
  }

  /** Writes {@code len} draws of row {@code row}, each multiplied by {@code std}, to out[off..off+len). */
  static void fillRow(long tensorKey, long row, double std, float[] out, int off, int len) {
    long rowKey = mix(tensorKey + row * GOLDEN);
    for (int k = 0, p = 0; k < len; k += 2, p++) {
      long h1 = mix(rowKey + (2L * p + 1) * GOLDEN);
      long h2 = mix(rowKey + (2L * p + 2) * GOLDEN);
      double u1 = ((h1 >>> 11) + 1) * UNIT;
      double u2 = (h2 >>> 11) * UNIT;
      double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
      double angle = TWO_PI * u2;
      out[off + k] = (float) (std * radius * StrictMath.cos(angle));
      if (k + 1 < len) {
        out[off + k + 1] = (float) (std * radius * StrictMath.sin(angle));
      }
    }
  }
}
