package dev.logq.common.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ExpTest {

  @Test
  void withinOneUlpOfMathExpIncludingTheEdges() {
    assertEquals(1.0, Exp.scalar(0.0));
    SplittableRandom rng = new SplittableRandom(5);
    // Odd length: the vector loop's tail runs too.
    int n = 100_003;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = -750 + 760 * rng.nextDouble();
    }
    double[] edges = {0.0, -0.0, 1.0, -1.0, 709.78, 710.0, -745.2, -746.0, Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY, Double.NaN, 1e-300, -1e-300};
    System.arraycopy(edges, 0, x, 17, edges.length);
    double[] out = new double[n];
    Exp.exp(x, out, n);
    for (int i = 0; i < n; i++) {
      double expected = Math.exp(x[i]);
      if (Double.isNaN(expected) || Double.isInfinite(expected) || expected == 0.0) {
        assertEquals(expected, out[i], "exp(" + x[i] + ")");
      } else {
        double ulps = Math.abs(out[i] - expected) / Math.ulp(expected);
        assertTrue(ulps <= 1.0, "exp(" + x[i] + ") = " + out[i] + ", Math.exp gives " + expected + " (" + ulps + " ulp)");
      }
    }
  }

  /**
   * The vector path gives the scalar definition's bits, before and after C2 has compiled it (the warm-up
   * calls it often enough). The JDK's own vector exp, used before, failed this once compiled: C2 called SVML,
   * whose results differ from Math.exp's in about 0.4 % of lanes.
   */
  @Test
  void vectorPathGivesTheScalarBitsInterpretedAndCompiled() {
    SplittableRandom rng = new SplittableRandom(11);
    int n = 4_099;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      // Mostly the losses' range (logits minus their maximum), some of everything else.
      x[i] = i % 4 == 0 ? -760 + 1480 * rng.nextDouble() : -40 * rng.nextDouble();
    }
    double[] out = new double[n];
    for (int round = 0; round < 3; round++) {
      Exp.exp(x, out, n);
      for (int i = 0; i < n; i++) {
        double expected = Exp.scalar(x[i]);
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(out[i]),
            "round " + round + ": exp(" + x[i] + ") = " + out[i] + ", the scalar path gives " + expected);
      }
      for (int warm = 0; warm < 5_000; warm++) {
        Exp.exp(x, out, n);
      }
    }
  }

  @Test
  void inPlaceAndPrefixOnly() {
    double[] x = {0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
    Exp.exp(x, x, 5);
    assertEquals(1.0, x[0]);
    assertEquals(Math.exp(4.0), x[4], Math.ulp(Math.exp(4.0)));
    assertEquals(5.0, x[5], "beyond n stays untouched");
    assertThrows(IllegalArgumentException.class, () -> Exp.exp(new double[3], new double[2], 3));
  }

  /** The flags in conf/java17.args reach the test JVM: on x86-64 the vector path is the one tested. */
  @Test
  void vectorPathIsActiveOnX86WithTheProjectFlags() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    Assumptions.assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "not x86-64");
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "conf/java17.args should add jdk.incubator.vector to the test JVM");
    assertTrue(Exp.vectorized(), Exp.describe());
  }
}
