package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StandardLogQTest {

  @Test
  void handWorkedExampleCorrectingEveryColumn() {
    // s^c_j = s_j - log Q(j). With the positive corrected too, only ratios of Q matter:
    // Row 0 (pos item 0, Q .4; neg item 1, Q .3): l0 = log(1 + (.4/.3) e^{1-2})
    // Row 1 (pos item 1, Q .3; negs item 0 twice): l1 = log(1 + (.3/.4) e^{0.5-1.5} + (.3/.4) e^{-1-1.5})
    // Row 2 (pos item 0; neg item 1 at s=0):    l2 = log(1 + (.4/.3) e^{0-3})
    double r0 = 0.4 / 0.3 * Math.exp(-1);
    double r1a = 0.3 / 0.4 * Math.exp(-1);
    double r1b = 0.3 / 0.4 * Math.exp(-2.5);
    double r2 = 0.4 / 0.3 * Math.exp(-3);
    double[] rowLoss = {Math.log1p(r0), Math.log1p(r1a + r1b), Math.log1p(r2)};
    assertEquals(0.25139006248480733, (rowLoss[0] + rowLoss[1] + rowLoss[2]) / 3, 1e-13, "hand arithmetic");
    double[] rowGrad = {
        -r0 / (1 + r0), r0 / (1 + r0), 0,
        r1a / (1 + r1a + r1b), -(r1a + r1b) / (1 + r1a + r1b), r1b / (1 + r1a + r1b),
        0, r2 / (1 + r2), -r2 / (1 + r2),
    };
    assertHand(new StandardLogQ(true), rowLoss, rowGrad);
  }

  @Test
  void handWorkedExampleCorrectingOnlyNegatives() {
    // The positive keeps s_p: l_b = log(1 + sum_j e^{s_j - s_p} / Q(j)).
    double r0 = Math.exp(-1) / 0.3;
    double r1a = Math.exp(-1) / 0.4;
    double r1b = Math.exp(-2.5) / 0.4;
    double r2 = Math.exp(-3) / 0.3;
    double[] rowLoss = {Math.log1p(r0), Math.log1p(r1a + r1b), Math.log1p(r2)};
    assertEquals(0.5691990966233901, (rowLoss[0] + rowLoss[1] + rowLoss[2]) / 3, 1e-13, "hand arithmetic");
    double[] rowGrad = {
        -r0 / (1 + r0), r0 / (1 + r0), 0,
        r1a / (1 + r1a + r1b), -(r1a + r1b) / (1 + r1a + r1b), r1b / (1 + r1a + r1b),
        0, r2 / (1 + r2), -r2 / (1 + r2),
    };
    assertHand(new StandardLogQ(false), rowLoss, rowGrad);
  }

  private static void assertHand(Loss loss, double[] rowLoss, double[] rowGrad) {
    float[] grad = new float[9];
    double value = loss.lossAndGradient(LossFixtures.shared(LossFixtures.handBatch()), grad);
    assertEquals((rowLoss[0] + rowLoss[1] + rowLoss[2]) / 3, value, 1e-12);
    for (int i = 0; i < 9; i++) {
      assertEquals(rowGrad[i] / 3, grad[i], 1e-7, "grad[" + i + "]");
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void matchesReferenceOnRandomBatches(boolean correctPositive) {
    Loss loss = new StandardLogQ(correctPositive);
    Random random = new Random(correctPositive ? 3 : 4);
    double[] q = LossFixtures.zipf(6, 1.2);
    for (int trial = 0; trial < 20; trial++) {
      int uniform = trial % 2 == 0 ? 0 : 3;
      // catalog of 9 > 6 table entries: some uniform draws are absent from the table (Q floor 1e-10)
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 2 + trial % 4, uniform, q, 9);
      LossFixtures.assertMatchesReference(loss, LossFixtures.shared(x),
          ReferenceLosses.standard(x, correctPositive), 2e-7);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void gradientMatchesCentralFiniteDifferences(boolean correctPositive) {
    Loss loss = new StandardLogQ(correctPositive);
    Random random = new Random(5);
    double[] q = LossFixtures.zipf(5, 1.0);
    for (int uniform : new int[] {0, 3}) {
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 4, uniform, q, 7);
      LossFixtures.assertGradientMatchesFiniteDifferences(loss, LossFixtures.shared(x), 1e-6);
    }
  }

  @Test
  void withoutUniformColumnsTheProposalIsExactlyQ() {
    Logits logits = LossFixtures.shared(LossFixtures.handBatch());
    double[] logq = new StandardLogQ(true).columnLogProposal(logits);
    assertArrayEquals(new double[] {Math.log(0.4), Math.log(0.3), Math.log(0.4)}, logq, 0.0);
  }

  @Test
  void mixedProposalByHand() {
    // Catalog of 5, Q = (.5, .2, .15, .1, .05). Two in-batch columns (items 0, 1) and two uniform columns
    // (items 3, 0): per row n_in = 1 draw from Q and n_u = 2 uniform draws over N = 5, so
    //   q(j) = (1 * Q(j) + 2 * 1/5) / 3:  q(0) = .9/3 = .3,  q(1) = .6/3 = .2,  q(3) = .5/3.
    double[] q = {0.5, 0.2, 0.15, 0.1, 0.05};
    double[][] s = {{1.0, 0.5, -0.5, 2.0}, {0.25, 1.5, 1.0, -1.0}};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {0, 1, 3, 0}, new int[] {0, 1}, 2, q, 5);
    Logits logits = LossFixtures.shared(x);
    double[] logq = new StandardLogQ(true).columnLogProposal(logits);
    assertArrayEquals(new double[] {Math.log(0.3), Math.log(0.2), Math.log(0.5 / 3), Math.log(0.3)}, logq, 1e-15);

    // Row 0 (positive item 0 in column 0; column 3 is item 0 again, masked):
    //   l0 = -(1 - log .3) + log(e^{1 - log .3} + e^{0.5 - log .2} + e^{-0.5 - log(.5/3)})
    // Row 1 (positive item 1): l1 = -(1.5 - log .2) + log(e^{1.5 - log .2} + e^{.25 - log .3}
    //                                 + e^{1 - log(.5/3)} + e^{-1 - log .3})
    double a0 = Math.exp(1.0) / 0.3;
    double b0 = Math.exp(0.5) / 0.2;
    double c0 = Math.exp(-0.5) / (0.5 / 3);
    double a1 = Math.exp(1.5) / 0.2;
    double b1 = Math.exp(0.25) / 0.3;
    double c1 = Math.exp(1.0) / (0.5 / 3);
    double d1 = Math.exp(-1.0) / 0.3;
    double l0 = Math.log((a0 + b0 + c0) / a0);
    double l1 = Math.log((a1 + b1 + c1 + d1) / a1);
    float[] grad = new float[8];
    assertEquals((l0 + l1) / 2, new StandardLogQ(true).lossAndGradient(logits, grad), 1e-12);
    double sum0 = a0 + b0 + c0;
    double sum1 = a1 + b1 + c1 + d1;
    double[] expected = {a0 / sum0 - 1, b0 / sum0, c0 / sum0, 0, b1 / sum1, a1 / sum1 - 1, c1 / sum1, d1 / sum1};
    for (int i = 0; i < 8; i++) {
      assertEquals(expected[i] / 2, grad[i], 1e-7, "grad[" + i + "]");
    }
  }

  @Test
  void inBatchItemMissingFromTheTableIsAnErrorNamingIt() {
    double[][] s = {{1.0, 0.5}, {0.0, 1.0}};
    double[] q = {0.7, 0.0, 0.3}; // item 1 was never counted
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {0, 1}, new int[] {0, 1}, 2, q, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StandardLogQ(true).lossAndGradient(LossFixtures.shared(x), new float[4]));
    assertTrue(e.getMessage().contains("item 1 (column 1"), e.getMessage());
    assertTrue(e.getMessage().contains("frequency table"), e.getMessage());
  }

  @Test
  void nanLogQIsAnError() {
    Logits good = LossFixtures.shared(LossFixtures.handBatch());
    double[] table = {Math.log(0.4), Double.NaN, Math.log(0.2), Math.log(0.1)};
    Logits bad = new Logits(Logits.Layout.SHARED, 3, 3, good.scores, good.positiveColumn, good.columnItem, 3,
        table, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StandardLogQ(false).lossAndGradient(bad, new float[9]));
    assertTrue(e.getMessage().contains("item 1"), e.getMessage());
  }

  @Test
  void uniformItemMissingFromTheTableUsesTheFloor() {
    // Item 4 is in the catalog but not in the table (q has 4 entries): only allowed for uniform columns.
    double[] q = {0.4, 0.3, 0.2, 0.1};
    double[][] s = {{1.0, 0.5, 0.25}, {0.0, 1.0, -0.5}};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {0, 1, 4}, new int[] {0, 1}, 2, q, 5);
    LossFixtures.assertMatchesReference(new StandardLogQ(true), LossFixtures.shared(x),
        ReferenceLosses.standard(x, true), 2e-7);
  }
}
