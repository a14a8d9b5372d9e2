package dev.logq.common.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The three products against a double-precision product and against their definition (one fma chain per element,
 * in order), on shapes that hit every tile remainder (4-row and 2-vector tiles, the padded tail, 8- and 16-lane
 * machines), at offsets into larger arrays.
 */
class FusedMatricesTest {

  private static final int[] SIZES = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 50, 64, 65};

  private static float[] random(Random random, int length) {
    float[] x = new float[length];
    for (int i = 0; i < length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  /** The definition: c = fma(a(i, q), b(q, j), c) for q in order, from the start value. */
  private static float chain(float start, float[] a, int aBase, int aStep, float[] b, int bBase, int bStep, int k) {
    float c = start;
    for (int q = 0; q < k; q++) {
      c = Math.fma(a[aBase + q * aStep], b[bBase + q * bStep], c);
    }
    return c;
  }

  @Test
  void theVectorPathRunsInTheTests() {
    // conf/java17.args adds the module to the test JVMs; without it this class would only test the scalar path.
    assertTrue(FusedMatrices.vectorized(), FusedMatrices.describe());
  }

  @Test
  void everyElementIsItsFmaChainAndCloseToADoubleProduct() {
    Random random = new Random(1);
    for (int trial = 0; trial < 300; trial++) {
      int m = SIZES[random.nextInt(SIZES.length)];
      int n = SIZES[random.nextInt(SIZES.length)];
      int k = SIZES[random.nextInt(SIZES.length)];
      int off = random.nextInt(5);
      String shape = m + "x" + n + "x" + k + " at offset " + off;
      float[] a = random(random, off + m * k + 3);
      float[] bt = random(random, off + n * k + 3); // n x k, for a b^T
      float[] b = random(random, off + k * n + 3); // k x n
      float[] bm = random(random, off + m * n + 3); // m x n, for a^T b

      float[] out = random(random, off + m * n + 3);
      float[] before = out.clone();
      FusedMatrices.multiplyTransposed(a, off, bt, off, out, off, m, n, k);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          float got = out[off + i * n + j];
          assertEquals(chain(0f, a, off + i * k, 1, bt, off + j * k, 1, k), got, 0f, "abT " + shape);
          double exact = 0;
          for (int q = 0; q < k; q++) {
            exact += (double) a[off + i * k + q] * bt[off + j * k + q];
          }
          assertEquals(exact, got, 1e-6 * (k + 1) * 4, "abT vs double " + shape);
        }
      }
      assertUntouchedOutside(before, out, off, m * n, shape);

      out = random(random, off + m * n + 3);
      before = out.clone();
      FusedMatrices.multiplyAdd(a, off, b, off, out, off, m, n, k);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          int o = off + i * n + j;
          assertEquals(chain(before[o], a, off + i * k, 1, b, off + j, n, k), out[o], 0f, "abAdd " + shape);
        }
      }
      assertUntouchedOutside(before, out, off, m * n, shape);

      out = random(random, off + k * n + 3);
      before = out.clone();
      FusedMatrices.transposeMultiplyAdd(a, off, bm, off, out, off, m, n, k);
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < n; j++) {
          int o = off + p * n + j;
          assertEquals(chain(before[o], a, off + p, k, bm, off + j, n, m), out[o], 0f, "aTbAdd " + shape);
        }
      }
      assertUntouchedOutside(before, out, off, k * n, shape);
    }
  }

  private static void assertUntouchedOutside(float[] before, float[] after, int off, int len, String shape) {
    for (int i = 0; i < before.length; i++) {
      if (i < off || i >= off + len) {
        assertEquals(before[i], after[i], 0f, "element " + i + " outside the output was written, " + shape);
      }
    }
  }

  @Test
  void vectorAndScalarPathsGiveTheSameBits() {
    Random random = new Random(2);
    for (int trial = 0; trial < 100; trial++) {
      int rows = 1 + random.nextInt(70);
      int cols = 1 + random.nextInt(140);
      int depth = 1 + random.nextInt(90);
      float[] a = random(random, rows * depth);
      float[] b = random(random, depth * cols);
      float[] c = random(random, rows * cols);
      float[] scalar = c.clone();
      FusedMatrices.accumulate(a, 0, depth, 1, b, 0, cols, c, 0, cols, rows, cols, depth);
      FusedMatrices.scalarAccumulate(a, 0, depth, 1, b, 0, cols, scalar, 0, cols, rows, cols, depth);
      assertArrayEquals(scalar, c, rows + "x" + cols + "x" + depth);
    }
  }

  @Test
  void aRowHasTheSameBitsAloneAndInsideAnyLargerProduct() {
    Random random = new Random(3);
    int m = 37;
    int n = 50;
    int k = 64;
    float[] a = random(random, m * k);
    float[] b = random(random, n * k);
    float[] all = new float[m * n];
    FusedMatrices.multiplyTransposed(a, 0, b, 0, all, 0, m, n, k);
    for (int i = 0; i < m; i++) {
      float[] one = new float[n];
      FusedMatrices.multiplyTransposed(a, i * k, b, 0, one, 0, 1, n, k);
      assertArrayEquals(Arrays.copyOfRange(all, i * n, i * n + n), one, "row " + i);
    }
  }

  @Test
  void fusedRoundingDiffersFromMultiplyThenAdd() {
    // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24. The chain's first fma stores -(1 + 2^-11) exactly, the second adds the
    // exact square to it and keeps 2^-24; a float product rounds the square to 1 + 2^-11 first, leaving 0.
    float x = 1f + 0x1p-12f;
    float[] a = {1f, x};
    float[] b = {-(1f + 0x1p-11f), x};
    float[] out = new float[1];
    FusedMatrices.multiplyTransposed(a, 0, b, 0, out, 0, 1, 1, 2);
    assertEquals(0x1p-24f, out[0], 0f);
    assertEquals(0f, a[0] * b[0] + a[1] * b[1], 0f);
  }

  @Test
  void shapesThatDoNotFitAreRefused() {
    float[] x = new float[6];
    assertThrows(IllegalArgumentException.class, () -> FusedMatrices.multiplyAdd(x, 1, x, 0, x, 0, 2, 1, 3));
    assertThrows(IllegalArgumentException.class, () -> FusedMatrices.multiplyTransposed(x, 0, x, 0, x, -1, 1, 1, 1));
  }
}
