package dev.logq.common.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The Vector API Adam update gives the scalar loop's bits, value for value, over many steps. */
class VectorAdamTest {

  @Test
  void vectorPathIsOnInTheTestJvm() {
    // conf/java17.args adds jdk.incubator.vector to the test JVMs; without it the bit test would prove nothing.
    String arch = System.getProperty("os.arch", "");
    Assumptions.assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "the vector path is x86-64 only");
    assertTrue(Adam.VECTOR, "the test JVM should run the Vector API path");
  }

  @Test
  void vectorAndScalarUpdatesGiveTheSameBits() {
    Random rnd = new Random(12);
    for (double[] hyper : new double[][] {{0.005, 0.9, 0.999, 1e-8}, {0.1, 0.5, 0.9, 1e-3}, {1e-4, 0.0, 0.99, 1e-12}}) {
      Adam adam = new Adam(hyper[0], hyper[1], hyper[2], hyper[3]);
      for (int len : new int[] {1, 3, 4, 7, 64, 67, 1000}) {
        float[] p1 = new float[len];
        float[] m1 = new float[len];
        float[] v1 = new float[len];
        for (int i = 0; i < len; i++) {
          p1[i] = (float) (rnd.nextGaussian() * 0.1);
        }
        float[] p2 = p1.clone();
        float[] m2 = m1.clone();
        float[] v2 = v1.clone();
        for (long step = 1; step <= 30; step++) {
          float[] g = new float[len];
          for (int i = 0; i < len; i++) {
            // wide dynamic range, signed zeros and exact zeros included
            int kind = rnd.nextInt(10);
            g[i] = kind == 0 ? 0f : kind == 1 ? -0f : (float) (rnd.nextGaussian() * Math.pow(10, -rnd.nextInt(9)));
          }
          double[] c = adam.stepConstants(step);
          adam.update(p1, g.clone(), new float[][] {m1, v1}, len, c);
          adam.scalarUpdate(p2, g.clone(), new float[][] {m2, v2}, 0, len, c);
          for (int i = 0; i < len; i++) {
            String at = "len " + len + ", step " + step + ", value " + i;
            assertEquals(Float.floatToRawIntBits(m2[i]), Float.floatToRawIntBits(m1[i]), "m, " + at);
            assertEquals(Float.floatToRawIntBits(v2[i]), Float.floatToRawIntBits(v1[i]), "v, " + at);
            assertEquals(Float.floatToRawIntBits(p2[i]), Float.floatToRawIntBits(p1[i]), "param, " + at);
          }
        }
      }
    }
  }
}
