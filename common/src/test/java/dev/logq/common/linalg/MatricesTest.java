package dev.logq.common.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every kernel against a naive double-precision product, on shapes that hit every unrolling remainder. */
class MatricesTest {

  private static final int[] SIZES = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65};

  private static float[] random(Random random, int length) {
    float[] x = new float[length];
    for (int i = 0; i < length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  /** |float result - double result| must be within float rounding of a sum of k products. */
  private static void assertClose(double expected, float actual, int k, double scale, String where) {
    assertEquals(expected, actual, 1e-6 * (k + 1) * scale, where);
  }

  @Test
  void multiplyTransposedMatchesNaiveDouble() {
    Random random = new Random(1);
    for (int trial = 0; trial < 150; trial++) {
      int m = SIZES[random.nextInt(SIZES.length)];
      int n = SIZES[random.nextInt(SIZES.length)];
      int k = SIZES[random.nextInt(SIZES.length)];
      float[] a = random(random, m * k);
      float[] b = random(random, n * k);
      float[] out = random(random, m * n); // overwritten, not accumulated
      Matrices.multiplyTransposed(a, b, out, m, n, k);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = 0;
          for (int p = 0; p < k; p++) {
            sum += (double) a[i * k + p] * b[j * k + p];
          }
          assertClose(sum, out[i * n + j], k, 3, "m=" + m + " n=" + n + " k=" + k + " (" + i + "," + j + ")");
        }
      }
    }
  }

  @Test
  void multiplyAddMatchesNaiveDouble() {
    Random random = new Random(2);
    for (int trial = 0; trial < 150; trial++) {
      int m = SIZES[random.nextInt(SIZES.length)];
      int n = SIZES[random.nextInt(SIZES.length)];
      int k = SIZES[random.nextInt(SIZES.length)];
      float[] a = random(random, m * k);
      float[] b = random(random, k * n);
      float[] out = random(random, m * n);
      float[] before = out.clone();
      Matrices.multiplyAdd(a, b, out, m, n, k);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = before[i * n + j];
          for (int p = 0; p < k; p++) {
            sum += (double) a[i * k + p] * b[p * n + j];
          }
          assertClose(sum, out[i * n + j], k, 3, "m=" + m + " n=" + n + " k=" + k + " (" + i + "," + j + ")");
        }
      }
    }
  }

  @Test
  void transposeMultiplyAddMatchesNaiveDouble() {
    Random random = new Random(3);
    for (int trial = 0; trial < 150; trial++) {
      int m = SIZES[random.nextInt(SIZES.length)];
      int n = SIZES[random.nextInt(SIZES.length)];
      int k = SIZES[random.nextInt(SIZES.length)];
      float[] a = random(random, m * k);
      float[] b = random(random, m * n);
      float[] out = random(random, k * n);
      float[] before = out.clone();
      Matrices.transposeMultiplyAdd(a, b, out, m, n, k);
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < n; j++) {
          double sum = before[p * n + j];
          for (int i = 0; i < m; i++) {
            sum += (double) a[i * k + p] * b[i * n + j];
          }
          assertClose(sum, out[p * n + j], m, 3, "m=" + m + " n=" + n + " k=" + k + " (" + p + "," + j + ")");
        }
      }
    }
  }

  @Test
  void stepShapesMatchNaiveDouble() {
    // The shapes of a training step, B = 256 rows, d = 64 (kept small enough for a naive double check).
    Random random = new Random(4);
    int rows = 256;
    int d = 64;
    float[] u = random(random, rows * d);
    float[] v = random(random, rows * d);
    float[] g = random(random, rows * rows);
    float[] scores = new float[rows * rows];
    Matrices.multiplyTransposed(u, v, scores, rows, rows, d);
    float[] du = new float[rows * d];
    Matrices.multiplyAdd(g, v, du, rows, d, rows);
    float[] dv = new float[rows * d];
    Matrices.transposeMultiplyAdd(g, u, dv, rows, d, rows);
    for (int i = 0; i < rows; i += 7) {
      for (int j = 0; j < d; j++) {
        double sumDu = 0;
        double sumDv = 0;
        for (int p = 0; p < rows; p++) {
          sumDu += (double) g[i * rows + p] * v[p * d + j];
          sumDv += (double) g[p * rows + i] * u[p * d + j];
        }
        assertClose(sumDu, du[i * d + j], rows, 3, "dU (" + i + "," + j + ")");
        assertClose(sumDv, dv[i * d + j], rows, 3, "dV (" + i + "," + j + ")");
      }
      for (int j = 0; j < rows; j += 5) {
        double sum = 0;
        for (int p = 0; p < d; p++) {
          sum += (double) u[i * d + p] * v[j * d + p];
        }
        assertClose(sum, scores[i * rows + j], d, 3, "scores (" + i + "," + j + ")");
      }
    }
  }

  /**
   * Both kernels of multiplyAdd and transposeMultiplyAdd (by rows for wide results, by columns for tall ones)
   * must give the same bits as one scalar loop that sums the same terms in the same grouping: eight products
   * per group, added left to right, each group added to the running value, then the remainder one by one.
   */
  @Test
  void rowAndColumnKernelsGiveTheBitsOfTheirScalarDefinition() {
    Random random = new Random(6);
    for (int trial = 0; trial < 200; trial++) {
      int m = 1 + random.nextInt(40);
      int n = 1 + random.nextInt(40);
      int k = 1 + random.nextInt(40);
      float[] a = random(random, m * k);
      float[] b = random(random, k * n);
      float[] out = random(random, m * n);
      float[] expected = out.clone();
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          int ij = i * n + j;
          int p = 0;
          for (; p + 7 < k; p += 8) {
            float group = a[i * k + p] * b[p * n + j];
            for (int t = 1; t < 8; t++) {
              group += a[i * k + p + t] * b[(p + t) * n + j];
            }
            expected[ij] += group;
          }
          for (; p < k; p++) {
            expected[ij] += a[i * k + p] * b[p * n + j];
          }
        }
      }
      Matrices.multiplyAdd(a, b, out, m, n, k);
      assertArrayEquals(expected, out, "multiplyAdd m=" + m + " n=" + n + " k=" + k);

      float[] c = random(random, m * n);
      float[] outT = random(random, k * n);
      float[] expectedT = outT.clone();
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < n; j++) {
          int pj = p * n + j;
          int i = 0;
          for (; i + 7 < m; i += 8) {
            float group = a[i * k + p] * c[i * n + j];
            for (int t = 1; t < 8; t++) {
              group += a[(i + t) * k + p] * c[(i + t) * n + j];
            }
            expectedT[pj] += group;
          }
          for (; i < m; i++) {
            expectedT[pj] += a[i * k + p] * c[i * n + j];
          }
        }
      }
      Matrices.transposeMultiplyAdd(a, c, outT, m, n, k);
      assertArrayEquals(expectedT, outT, "transposeMultiplyAdd m=" + m + " n=" + n + " k=" + k);
    }
  }

  @Test
  void rejectsArraysTooSmallForTheShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Matrices.multiplyAdd(new float[6], new float[5], new float[4], 2, 2, 3));
    assertEquals("matrix sizes do not fit the shape: a has 6 (needs 6), b has 5 (needs 6), out has 4 (needs 4)",
        e.getMessage());
  }
}
