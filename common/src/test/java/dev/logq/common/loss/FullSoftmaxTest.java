package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FullSoftmaxTest {

  private final Loss loss = new FullSoftmax();

  @Test
  void handWorkedExample() {
    // Catalog {0, 1, 2} listed as columns (item 2, item 0, item 1). Row 0's positive is item 0 (column 1),
    // row 1's is item 2 (column 0).
    //   l0 = -s01 + log(e^{s00} + e^{s01} + e^{s02}) = -1 + log(e^0.5 + e^1 + e^-1)
    //   l1 = -2 + log(e^2 + e^0 + e^1)
    double[][] s = {{0.5, 1.0, -1.0}, {2.0, 0.0, 1.0}};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {2, 0, 1}, new int[] {1, 0}, 3, new double[0], 3);
    double z0 = Math.exp(0.5) + Math.exp(1.0) + Math.exp(-1.0);
    double z1 = Math.exp(2.0) + Math.exp(0.0) + Math.exp(1.0);
    float[] grad = new float[6];
    double value = loss.lossAndGradient(LossFixtures.shared(x), grad);
    assertEquals((-1 + Math.log(z0) - 2 + Math.log(z1)) / 2, value, 1e-12);
    double[] expected = {
        Math.exp(0.5) / z0, Math.exp(1.0) / z0 - 1, Math.exp(-1.0) / z0,
        Math.exp(2.0) / z1 - 1, 1 / z1, Math.exp(1.0) / z1,
    };
    for (int i = 0; i < 6; i++) {
      assertEquals(expected[i] / 2, grad[i], 1e-7, "grad[" + i + "]");
    }
  }

  @Test
  void matchesReferenceAndFiniteDifferences() {
    Random random = new Random(8);
    int n = 7;
    double[][] s = new double[4][n];
    for (double[] row : s) {
      for (int j = 0; j < n; j++) {
        row[j] = LossFixtures.exactScore(random, 3.0);
      }
    }
    int[] items = {3, 0, 6, 1, 5, 2, 4};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, items, new int[] {0, 4, 4, 6}, n, new double[0], n);
    LossFixtures.assertMatchesReference(loss, LossFixtures.shared(x), ReferenceLosses.full(x), 2e-7);
    LossFixtures.assertGradientMatchesFiniteDifferences(loss, LossFixtures.shared(x), 1e-6);
  }

  @Test
  void equalsNoCorrectionWhenTheColumnsAreTheWholeCatalog() {
    Random random = new Random(9);
    int n = 12;
    int rows = 5;
    float[] scores = new float[rows * n];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (float) random.nextGaussian() * 3;
    }
    int[] items = new int[n];
    for (int j = 0; j < n; j++) {
      items[j] = (j * 5) % n; // a permutation of the catalog: no duplicates
    }
    int[] positiveColumn = {3, 0, 11, 3, 7}; // rows 0 and 3 share a positive: fine, each row masks its own
    Logits logits = new Logits(Logits.Layout.SHARED, rows, n, scores, positiveColumn, items, n, null, n);
    float[] full = new float[rows * n];
    float[] none = new float[rows * n];
    double fullValue = loss.lossAndGradient(logits, full);
    double noneValue = new NoCorrection().lossAndGradient(logits, none);
    assertEquals(noneValue, fullValue, 1e-12);
    assertArrayEquals(none, full, 1e-7f);
    // and both are the literal formula
    double expected = 0;
    for (int b = 0; b < rows; b++) {
      double z = 0;
      for (int j = 0; j < n; j++) {
        z += Math.exp(scores[b * n + j]);
      }
      expected += -scores[b * n + positiveColumn[b]] + Math.log(z);
    }
    assertEquals(expected / rows, fullValue, 1e-9);
  }

  @Test
  void rejectsColumnsThatAreNotTheCatalog() {
    ReferenceLosses.Batch x = LossFixtures.handBatch(); // 3 columns, catalog of 4
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> loss.lossAndGradient(LossFixtures.shared(x), new float[9]));
    assertTrue(e.getMessage().contains("3 columns for a catalog of 4"), e.getMessage());
  }
}
