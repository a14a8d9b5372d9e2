package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logq.common.linalg.Matrices;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Diagnosis for the two-tower step's score products (S = U V^T, dU = G V, dV = G^T U) at the sequence tower's
 * shapes (n = B x L loss rows, cols = distinct targets, D = 64): {@code linalg.Matrices} against
 * {@link ScoreProducts} (netlib), alternated in one JVM, thread CPU time. Each kernel must also give the same
 * bits twice, and both must agree to float rounding. Run:
 * {@code OPENBLAS_NUM_THREADS=1 mvn -B -o -pl common -Pbenchmarks test -Dtest=ScoreProductsBenchmark}.
 */
@Tag("benchmark")
class ScoreProductsBenchmark {

  static final int D = 64;
  static final int REPS = 5;

  @Test
  void scoreProducts() {
    System.out.println("netlib BLAS: " + NetlibGemm.implementation() + ", OPENBLAS_NUM_THREADS="
        + System.getenv("OPENBLAS_NUM_THREADS"));
    measure(3200, 2000);   // L 50 x 64 windows per worker batch
    measure(6400, 3000);   // L 200 x 32 windows
  }

  private static void measure(int n, int cols) {
    SplittableRandom r = new SplittableRandom(n);
    float[] u = random(r, n * D);
    float[] v = random(r, cols * D);
    float[] g = random(r, n * cols);
    double gflop = 3 * 2.0 * n * cols * D / 1e9;
    float[][] reference = run(false, u, v, g, n, cols);
    float[][] netlib = run(true, u, v, g, n, cols);
    for (int t = 0; t < 3; t++) {
      assertArrayEquals(reference[t], run(false, u, v, g, n, cols)[t], "Matrices, same bits twice");
      assertArrayEquals(netlib[t], run(true, u, v, g, n, cols)[t], "netlib, same bits twice");
      for (int i = 0; i < reference[t].length; i += 97) {
        assertEquals(reference[t][i], netlib[t][i], 1e-3 * (1 + Math.abs(reference[t][i])));
      }
    }
    for (int round = 1; round <= 3; round++) {
      double matrices = medianMs(false, u, v, g, n, cols);
      double blas = medianMs(true, u, v, g, n, cols);
      System.out.printf("n %d x cols %d x D %d (%.2f GFLOP): round %d Matrices %.1f ms (%.1f GFLOP/s),"
          + " netlib %.1f ms (%.1f GFLOP/s)%n", n, cols, D, gflop, round, matrices, gflop / matrices * 1e3, blas,
          gflop / blas * 1e3);
    }
  }

  private static double medianMs(boolean netlib, float[] u, float[] v, float[] g, int n, int cols) {
    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    double[] ms = new double[REPS];
    for (int i = 0; i < REPS; i++) {
      long t0 = bean.getCurrentThreadCpuTime();
      run(netlib, u, v, g, n, cols);
      ms[i] = (bean.getCurrentThreadCpuTime() - t0) / 1e6;
    }
    java.util.Arrays.sort(ms);
    return ms[REPS / 2];
  }

  private static float[][] run(boolean netlib, float[] u, float[] v, float[] g, int n, int cols) {
    float[] scores = new float[n * cols];
    float[] gradU = new float[n * D];
    float[] gradV = new float[cols * D];
    if (netlib) {
      ScoreProducts.multiplyTransposed(u, v, scores, n, cols, D);
      ScoreProducts.multiplyAdd(g, v, gradU, n, D, cols);
      ScoreProducts.transposeMultiplyAdd(g, u, gradV, n, D, cols);
    } else {
      Matrices.multiplyTransposed(u, v, scores, n, cols, D);
      Matrices.multiplyAdd(g, v, gradU, n, D, cols);
      Matrices.transposeMultiplyAdd(g, u, gradV, n, D, cols);
    }
    return new float[][] {scores, gradU, gradV};
  }

  private static float[] random(SplittableRandom r, int len) {
    float[] x = new float[len];
    for (int i = 0; i < len; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return x;
  }
}
