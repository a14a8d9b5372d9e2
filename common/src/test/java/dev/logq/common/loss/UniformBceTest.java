package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class UniformBceTest {

  private final Loss loss = new UniformBce();

  @Test
  void handWorkedExample() {
    // Row 0: items (5 | 2, 5): column 2 draws the positive's item and is dropped.
    //   l0 = -log sigma(1) - log(1 - sigma(-0.5)) = log(1 + e^-1) + log(1 + e^-0.5)
    // Row 1: items (3 | 1, 4): l1 = log(1 + e^2) + log(1 + e^0.5) + log 2
    double[][] s = {{1.0, -0.5, 2.0}, {-2.0, 0.5, 0.0}};
    int[][] items = {{5, 2, 5}, {3, 1, 4}};
    double l0 = Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(-0.5));
    double l1 = Math.log1p(Math.exp(2)) + Math.log1p(Math.exp(0.5)) + Math.log(2);
    float[] grad = new float[6];
    assertEquals((l0 + l1) / 2, loss.lossAndGradient(LossFixtures.perRow(s, items), grad), 1e-12);
    // d/ds_p = sigma(s_p) - 1, d/ds_n = sigma(s_n)
    double[] expected = {
        1 / (1 + Math.exp(-1.0)) - 1, 1 / (1 + Math.exp(0.5)), 0,
        1 / (1 + Math.exp(2.0)) - 1, 1 / (1 + Math.exp(-0.5)), 0.5,
    };
    for (int i = 0; i < 6; i++) {
      assertEquals(expected[i] / 2, grad[i], 1e-7, "grad[" + i + "]");
    }
  }

  @Test
  void matchesReferenceAndFiniteDifferences() {
    Random random = new Random(10);
    int rows = 4;
    int cols = 6;
    double[][] s = new double[rows][cols];
    int[][] items = new int[rows][cols];
    for (int b = 0; b < rows; b++) {
      for (int j = 0; j < cols; j++) {
        s[b][j] = LossFixtures.exactScore(random, 4.0);
        items[b][j] = random.nextInt(4); // small catalog: accidental hits happen
      }
    }
    LossFixtures.assertMatchesReference(loss, LossFixtures.perRow(s, items), ReferenceLosses.uniformBce(s, items),
        2e-7);
    LossFixtures.assertGradientMatchesFiniteDifferences(loss, LossFixtures.perRow(s, items), 1e-6);
  }

  @Test
  void rejectsTheSharedLayout() {
    assertThrows(IllegalArgumentException.class,
        () -> loss.lossAndGradient(LossFixtures.shared(LossFixtures.handBatch()), new float[9]));
  }
}
