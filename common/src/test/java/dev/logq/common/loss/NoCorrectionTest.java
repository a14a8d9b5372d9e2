package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NoCorrectionTest {

  private final Loss loss = new NoCorrection();

  @Test
  void handWorkedExample() {
    // Row 0: positive s=2 (col 0), negative col 1 (s=1), col 2 masked (item 0 again).
    //   l0 = -2 + log(e^2 + e^1) = log(1 + e^-1) = 0.313261687518...
    // Row 1: positive s=1.5 (col 1), negatives col 0 (0.5) and col 2 (-1.0), both item 0.
    //   l1 = -1.5 + log(e^1.5 + e^0.5 + e^-1) = 0.371539031852...
    // Row 2: positive s=3 (col 2), negative col 1 (s=0), col 0 masked.
    //   l2 = log(1 + e^-3) = 0.048587351573...
    double l0 = Math.log1p(Math.exp(-1));
    double den1 = Math.exp(1.5) + Math.exp(0.5) + Math.exp(-1.0);
    double l1 = -1.5 + Math.log(den1);
    double l2 = Math.log1p(Math.exp(-3));
    assertEquals(0.24446269031488, (l0 + l1 + l2) / 3, 1e-13, "hand arithmetic");

    float[] grad = new float[9];
    double value = loss.lossAndGradient(LossFixtures.shared(LossFixtures.handBatch()), grad);
    assertEquals((l0 + l1 + l2) / 3, value, 1e-12);

    double share0 = Math.exp(1.0) / (Math.exp(2.0) + Math.exp(1.0)); // pi of the negative in row 0
    double share2 = 1.0 / (Math.exp(3.0) + 1.0);
    double[] expected = {
        -share0, share0, 0,
        Math.exp(0.5) / den1, Math.exp(1.5) / den1 - 1, Math.exp(-1.0) / den1,
        0, share2, -share2,
    };
    for (int i = 0; i < 9; i++) {
      assertEquals(expected[i] / 3, grad[i], 1e-7, "grad[" + i + "]");
    }
  }

  @Test
  void matchesReferenceOnRandomBatches() {
    Random random = new Random(1);
    double[] q = LossFixtures.zipf(6, 1.0);
    for (int trial = 0; trial < 20; trial++) {
      int uniform = trial % 2 == 0 ? 0 : 3;
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 2 + trial % 4, uniform, q, 8);
      LossFixtures.assertMatchesReference(loss, LossFixtures.shared(x), ReferenceLosses.none(x), 2e-7);
    }
  }

  @Test
  void gradientMatchesCentralFiniteDifferences() {
    Random random = new Random(2);
    double[] q = LossFixtures.zipf(5, 1.0);
    for (int uniform : new int[] {0, 3}) {
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 4, uniform, q, 7);
      LossFixtures.assertGradientMatchesFiniteDifferences(loss, LossFixtures.shared(x), 1e-6);
    }
  }

  @Test
  void ignoresTheFrequencyTable() {
    ReferenceLosses.Batch x = LossFixtures.handBatch();
    Logits withTable = LossFixtures.shared(x);
    Logits withoutTable = new Logits(Logits.Layout.SHARED, 3, 3, withTable.scores, withTable.positiveColumn,
        withTable.columnItem, 3, null, 4);
    float[] a = new float[9];
    float[] b = new float[9];
    assertEquals(loss.lossAndGradient(withTable, a), loss.lossAndGradient(withoutTable, b), 0.0);
    assertArrayEquals(a, b, 0f);
  }
}
