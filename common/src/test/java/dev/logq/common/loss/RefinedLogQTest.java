package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RefinedLogQTest {

  private final RefinedLogQ loss = new RefinedLogQ();

  @Test
  void handWorkedExample() {
    // Row 0: positive item 0 (Q .4, s 2); one negative, item 1 (Q .3, s 1); column 2 masked. k = 1.
    //   Q'(1) = .3 / (1 - .4) = .5;  sum e^z = e^1 / .5 = 2e;  P^ = e^2 / (e^2 + 2e) = e / (e + 2)
    //   w0 = 2 / (e + 2);  l0 = w0 (-2 + log 2e) = w0 (log 2 - 1)  (negative)
    double w0 = 2 / (Math.E + 2);
    double l0 = w0 * (Math.log(2) - 1);
    // Row 1: positive item 1 (Q .3, s 1.5); negatives columns 0 and 2, both item 0 (Q .4), s .5 and -1. k = 2.
    //   Q'(0) = .4 / .7 = 4/7;  sum e^z = (e^.5 + e^-1) * 7/4;  P^ = e^1.5 / (e^1.5 + sum/2)
    double sum1 = (Math.exp(0.5) + Math.exp(-1)) * 7 / 4;
    double w1 = 1 - Math.exp(1.5) / (Math.exp(1.5) + sum1 / 2);
    double l1 = w1 * (-1.5 + Math.log(sum1));
    double pi10 = Math.exp(0.5) / (Math.exp(0.5) + Math.exp(-1));
    // Row 2: positive item 0 (s 3) in column 2; negative column 1, item 1 (s 0); column 0 masked. k = 1.
    //   Q'(1) = .5;  sum e^z = 2;  P^ = e^3 / (e^3 + 2);  w2 = 2 / (e^3 + 2);  l2 = w2 (log 2 - 3)
    double w2 = 2 / (Math.exp(3) + 2);
    double l2 = w2 * (Math.log(2) - 3);
    assertEquals(-0.13549318109225963, (l0 + l1 + l2) / 3, 1e-13, "hand arithmetic");

    float[] grad = new float[9];
    double[] rowLoss = new double[3];
    double[] rowWeight = new double[3];
    double value = loss.lossAndGradient(LossFixtures.shared(LossFixtures.handBatch()), grad, rowLoss, rowWeight);
    assertEquals((l0 + l1 + l2) / 3, value, 1e-12);
    assertEquals(w0, rowWeight[0], 1e-15);
    assertEquals(w1, rowWeight[1], 1e-15);
    assertEquals(w2, rowWeight[2], 1e-15);
    assertEquals(l1, rowLoss[1], 1e-15);
    // grad l_b = w_b (-e_pb + pi); a row's gradient sums to zero.
    double[] expected = {
        -w0, w0, 0,
        w1 * pi10, -w1, w1 * (1 - pi10),
        0, w2, -w2,
    };
    for (int i = 0; i < 9; i++) {
      assertEquals(expected[i] / 3, grad[i], 1e-8, "grad[" + i + "]");
    }
  }

  @Test
  void mixedProposalByHand() {
    // Catalog of 5, Q = (.5, .2, .15, .1, .05); in-batch columns items (0, 1), uniform columns items (3, 0).
    // Row 0, positive item 0: negatives column 1 (item 1, in-batch) and column 2 (item 3, uniform); column 3
    //   (item 0) is masked. k_in = 1, k_u = 1, k = 2; Q'(j) = Q(j) / .5; U' = 1/4.
    //   q(1) = (.2/.5 + 1/4) / 2 = .325;  q(3) = (.1/.5 + 1/4) / 2 = .225
    // Row 1, positive item 1: negatives columns 0 (item 0), 2 (item 3), 3 (item 0): k_in = 1, k_u = 2, k = 3;
    //   Q'(j) = Q(j) / .8.  q(0) = (.5/.8 + 2/4) / 3 = .375;  q(3) = (.1/.8 + 2/4) / 3 = .625/3
    double[] q = {0.5, 0.2, 0.15, 0.1, 0.05};
    double[][] s = {{1.0, 0.5, -0.5, 2.0}, {0.25, 1.5, 1.0, -1.0}};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {0, 1, 3, 0}, new int[] {0, 1}, 2, q, 5);

    double e01 = Math.exp(0.5) / 0.325;
    double e02 = Math.exp(-0.5) / 0.225;
    double sum0 = e01 + e02;
    double w0 = 1 - Math.exp(1.0) / (Math.exp(1.0) + sum0 / 2);
    double l0 = w0 * (-1.0 + Math.log(sum0));
    double e10 = Math.exp(0.25) / 0.375;
    double e12 = Math.exp(1.0) / (0.625 / 3);
    double e13 = Math.exp(-1.0) / 0.375;
    double sum1 = e10 + e12 + e13;
    double w1 = 1 - Math.exp(1.5) / (Math.exp(1.5) + sum1 / 3);
    double l1 = w1 * (-1.5 + Math.log(sum1));

    float[] grad = new float[8];
    double[] rowWeight = new double[2];
    double value = loss.lossAndGradient(LossFixtures.shared(x), grad, null, rowWeight);
    assertEquals((l0 + l1) / 2, value, 1e-12);
    assertEquals(w0, rowWeight[0], 1e-14);
    assertEquals(w1, rowWeight[1], 1e-14);
    double[] expected = {
        -w0, w0 * e01 / sum0, w0 * e02 / sum0, 0,
        w1 * e10 / sum1, -w1, w1 * e12 / sum1, w1 * e13 / sum1,
    };
    for (int i = 0; i < 8; i++) {
      assertEquals(expected[i] / 2, grad[i], 1e-8, "grad[" + i + "]");
    }
    LossFixtures.assertMatchesReference(loss, LossFixtures.shared(x), ReferenceLosses.refined(x), 1e-8);
  }

  @Test
  void withoutUniformSurvivorsTheMixtureReducesToLossesMd() {
    // Uniform columns that are all accidental hits leave k_u = 0: q_b = Q'_b and the result must equal the
    // same batch without those columns, which is LOSSES.md's formula (checked against the hand example).
    ReferenceLosses.Batch plain = LossFixtures.handBatch();
    double[][] s = {
        {2.0, 1.0, 0.5, 0.75},
        {0.5, 1.5, -1.0, 2.0},
        {1.0, 0.0, 3.0, -2.0},
    };
    // Column 3 is a uniform draw of item 0: an accidental hit for rows 0 and 2 (positive item 0), which so
    // have k_u = 0 and must match the plain batch exactly; row 1 (positive item 1) keeps it as a negative.
    int[] items = {0, 1, 0, 0};
    ReferenceLosses.Batch mixed = new ReferenceLosses.Batch(s, items, plain.positiveColumn, 3, plain.q, 4);
    float[] gradMixed = new float[12];
    double[] rowLossMixed = new double[3];
    loss.lossAndGradient(LossFixtures.shared(mixed), gradMixed, rowLossMixed, null);
    float[] gradPlain = new float[9];
    double[] rowLossPlain = new double[3];
    loss.lossAndGradient(LossFixtures.shared(plain), gradPlain, rowLossPlain, null);
    for (int b : new int[] {0, 2}) { // rows whose positive is item 0: column 3 is masked for them
      assertEquals(rowLossPlain[b], rowLossMixed[b], 1e-15, "row " + b);
      for (int j = 0; j < 3; j++) {
        assertEquals(gradPlain[b * 3 + j], gradMixed[b * 4 + j], 0f, "row " + b + " col " + j);
      }
      assertEquals(0f, gradMixed[b * 4 + 3], 0f);
    }
    // Row 1 does see the uniform column: its density is the mixture, here checked against the reference.
    LossFixtures.assertMatchesReference(loss, LossFixtures.shared(mixed), ReferenceLosses.refined(mixed), 2e-7);
  }

  @Test
  void matchesReferenceOnRandomBatches() {
    Random random = new Random(6);
    double[] q = LossFixtures.zipf(6, 1.0);
    for (int trial = 0; trial < 30; trial++) {
      int uniform = trial % 3 == 0 ? 0 : trial % 3 + 1;
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 2 + trial % 5, uniform, q, 9);
      LossFixtures.assertMatchesReference(loss, LossFixtures.shared(x), ReferenceLosses.refined(x), 2e-7);
    }
  }

  /**
   * With w_b held constant, l_b / w_b = -s_pb + log sum e^{z_j} =: L_b(s), and the production gradient must be
   * (1/B) w_b dL_b/ds. L_b is read back from the production code at each perturbed point (dividing out the
   * w_b it computed there), so the finite difference sees w_b as a constant, as the stop-gradient says.
   */
  @Test
  void gradientIsWeightTimesFiniteDifferenceOfTheStopGradientSurrogate() {
    Random random = new Random(7);
    double[] q = LossFixtures.zipf(5, 1.0);
    int checkedRows = 0;
    for (int uniform : new int[] {0, 3}) {
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 4, uniform, q, 7);
      Logits logits = LossFixtures.shared(x);
      int rows = logits.rows;
      int cols = logits.cols;
      float[] grad = new float[rows * cols];
      double[] weight = new double[rows];
      loss.lossAndGradient(logits, grad, null, weight);
      ReferenceLosses.Result ref = ReferenceLosses.refined(x);
      for (int b = 0; b < rows; b++) {
        assertEquals(1 - ref.estimatedP[b], weight[b], 1e-12, "w_b = 1 - P^_b");
        if (weight[b] == 0) {
          continue; // k_b = 0
        }
        checkedRows++;
        for (int j = 0; j < cols; j++) {
          double fd = surrogateDerivative(logits, b, j);
          assertEquals(fd * weight[b] / rows, grad[b * cols + j], 1e-6, "row " + b + " col " + j);
          // and the closed form: w_b (-[j == p] + pi_j)
          double closed = weight[b] * ((j == logits.positiveColumn[b] ? -1 : 0) + ref.pi[b][j]);
          assertEquals(closed / rows, grad[b * cols + j], 1e-7);
        }
      }
    }
    assertTrue(checkedRows >= 6, "rows with negatives: " + checkedRows);
  }

  private double surrogateDerivative(Logits logits, int b, int j) {
    int cell = b * logits.cols + j;
    float original = logits.scores[cell];
    logits.scores[cell] = (float) (original + LossFixtures.FD_STEP);
    double up = surrogate(logits, b);
    logits.scores[cell] = (float) (original - LossFixtures.FD_STEP);
    double down = surrogate(logits, b);
    logits.scores[cell] = original;
    return (up - down) / (2 * LossFixtures.FD_STEP);
  }

  private double surrogate(Logits logits, int b) {
    double[] rowLoss = new double[logits.rows];
    double[] weight = new double[logits.rows];
    loss.lossAndGradient(logits, new float[logits.rows * logits.cols], rowLoss, weight);
    return rowLoss[b] / weight[b];
  }

  @Test
  void lossCanBeNegativeAndRowsAreNotRenormalised() {
    double[] rowLoss = new double[3];
    double[] weight = new double[3];
    double mean = loss.lossAndGradient(LossFixtures.shared(LossFixtures.handBatch()), new float[9], rowLoss, weight);
    assertTrue(mean < 0, "mean " + mean);
    assertEquals((rowLoss[0] + rowLoss[1] + rowLoss[2]) / 3, mean, 1e-15, "plain mean of l_b");
  }
}
