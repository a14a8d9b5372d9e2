package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Extreme inputs: no NaN or infinity may leave a loss, and the values must still be the right limits. */
class LossNumericsTest {

  private static final List<Loss> SHARED_LOSSES = List.of(
      new NoCorrection(), new StandardLogQ(true), new StandardLogQ(false), new RefinedLogQ());

  private static double run(Loss loss, Logits logits, float[] grad) {
    double value = loss.lossAndGradient(logits, grad);
    assertTrue(Double.isFinite(value), loss + ": loss " + value);
    LossFixtures.assertAllFinite(grad, loss + " grad");
    return value;
  }

  /** Softmax-type losses: each row's gradient sums to 0 (refined: w_b (-1 + sum pi) = 0). */
  private static void assertRowsSumToZero(Loss loss, float[] grad, int rows, int cols) {
    for (int b = 0; b < rows; b++) {
      double sum = 0;
      double largest = 0;
      for (int j = 0; j < cols; j++) {
        sum += grad[b * cols + j];
        largest = Math.max(largest, Math.abs(grad[b * cols + j]));
      }
      assertEquals(0.0, sum, 1e-6 * Math.max(largest, 1e-3), loss + " row " + b);
    }
  }

  @Test
  void extremeLogitsStayFinite() {
    Random random = new Random(11);
    double[] q = LossFixtures.zipf(6, 1.0);
    for (int uniform : new int[] {0, 4}) {
      ReferenceLosses.Batch x = LossFixtures.randomBatch(random, 5, uniform, q, 8);
      for (double[] row : x.s) {
        for (int j = 0; j < row.length; j++) {
          row[j] = random.nextBoolean() ? 1e4 : -1e4;
        }
      }
      for (Loss loss : SHARED_LOSSES) {
        float[] grad = new float[x.rows() * x.cols()];
        run(loss, LossFixtures.shared(x), grad);
        assertRowsSumToZero(loss, grad, x.rows(), x.cols());
      }
    }
  }

  @Test
  void extremeLogitsGiveTheRightLimits() {
    // Row 0: positive at +1e4 over negatives at -1e4 -> l = 0 (to double precision), gradient 0.
    // Row 1: positive at -1e4, one negative at +1e4 -> none: l = 2e4, gradient (-1, +1) / B.
    double[][] s = {{1e4, -1e4, -1e4}, {1e4, -1e4, -1e4}};
    double[] q = {0.5, 0.3, 0.2};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {0, 1, 2}, new int[] {0, 1}, 3, q, 3);
    float[] grad = new float[6];
    double value = run(new NoCorrection(), LossFixtures.shared(x), grad);
    assertEquals(2e4 / 2, value, 1e-9);
    assertEquals(0f, grad[0], 0f);
    assertEquals(-0.5f, grad[4], 1e-7f);
    assertEquals(0.5f, grad[3], 1e-7f);

    // Refined: row 0 is classified with certainty (w = 0, l = 0); row 1 has w = 1 and
    // l = -s_p + log sum e^{z}: both negatives' z, the +1e4 one dominating: z = 1e4 - log(Q(0) / (1 - Q(1))).
    double[] rowLoss = new double[2];
    double[] weight = new double[2];
    new RefinedLogQ().lossAndGradient(LossFixtures.shared(x), grad, rowLoss, weight);
    assertEquals(0.0, rowLoss[0], 0.0);
    assertEquals(0.0, weight[0], 0.0);
    assertEquals(1.0, weight[1], 0.0);
    assertEquals(2e4 - Math.log(0.5 / 0.7), rowLoss[1], 1e-9);
    LossFixtures.assertAllFinite(grad, "refined grad");

    float[] bceGrad = new float[6];
    double bceValue = new UniformBce().lossAndGradient(
        LossFixtures.perRow(new double[][] {{1e4, -1e4, 1e4}, {-1e4, -1e4, -1e4}},
            new int[][] {{0, 1, 2}, {0, 1, 2}}), bceGrad);
    // row 0: softplus(-1e4) + softplus(-1e4) + softplus(1e4) = 1e4; row 1: softplus(1e4) + 2 softplus(-1e4) = 1e4
    assertEquals(1e4, bceValue, 1e-9);
    LossFixtures.assertAllFinite(bceGrad, "bce grad");
    assertEquals(0.5f, bceGrad[2], 0f);
    assertEquals(-0.5f, bceGrad[3], 0f);
  }

  /**
   * k_b = 0. In the SHARED layout a row has no unmasked in-batch negative only when every in-batch column
   * names its item, i.e. every row of the batch has the same positive.
   */
  @Test
  void allDuplicateBatchContributesNothing() {
    // Every row's positive is item 2: every other column is an accidental hit, k_b = 0.
    double[][] s = {{1.0, 2.0, 3.0, 4.0}, {-1.0, 0.5, 2.5, 1e4}, {0.0, 0.0, 0.0, 0.0}, {-1e4, 1e4, 0.0, 1.0}};
    double[] q = {0.2, 0.3, 0.5};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {2, 2, 2, 2}, new int[] {0, 1, 2, 3}, 4, q, 3);
    for (Loss loss : SHARED_LOSSES) {
      float[] grad = new float[16];
      assertEquals(0.0, run(loss, LossFixtures.shared(x), grad), 0.0, loss.toString());
      for (float g : grad) {
        assertEquals(0f, g, 0f, loss.toString());
      }
    }
  }

  @Test
  void tinyAndHugeProbabilities() {
    // Item 0 holds almost all the mass (Q = 1 - 1e-12), items 1 and 2 split the rest; item 3 has Q = 1e-12 of
    // a second, ordinary table.
    double[] nearOne = {1 - 1e-12, 4e-13, 6e-13};
    double[][] s = {{1.0, 0.5, -0.5}, {2.0, 1.0, 0.0}, {0.5, -1.0, 1.5}};
    ReferenceLosses.Batch x = new ReferenceLosses.Batch(s, new int[] {0, 1, 2}, new int[] {0, 1, 2}, 3, nearOne, 3);
    // Row 0: Q'(1) = .4, Q'(2) = .6 -- the digits survive only because 1 - Q(p) comes from expm1.
    ReferenceLosses.Result ref = ReferenceLosses.refined(x);
    LossFixtures.assertMatchesReference(new RefinedLogQ(), LossFixtures.shared(x), ref, 1e-6);
    double[] weight = new double[3];
    new RefinedLogQ().lossAndGradient(LossFixtures.shared(x), new float[9], null, weight);
    double expectedW0 = 1 - Math.exp(1.0) / (Math.exp(1.0) + (Math.exp(0.5) / 0.4 + Math.exp(-0.5) / 0.6) / 2);
    assertEquals(expectedW0, weight[0], 1e-4, "Q'(j) = Q(j) / (1 - Q(p)) with Q(p) = 1 - 1e-12");
    for (Loss loss : SHARED_LOSSES) {
      run(loss, LossFixtures.shared(x), new float[9]);
    }
    // Closer still, with the table's log Q more precise than any double Q near 1 can be (log1p of the rest's
    // share, as a counts-based table computes it): 1 - Q(p) = 1e-15 exactly, Q'(1) = .4, Q'(2) = .6.
    // 1 - exp(log Q(p)) would round 1e-15 to a multiple of 2^-53 (a 10 % error); expm1 keeps it.
    double[] logTable = {Math.log1p(-1e-15), Math.log(4e-16), Math.log(6e-16)};
    Logits nearer = new Logits(Logits.Layout.SHARED, 3, 3, LossFixtures.shared(x).scores, new int[] {0, 1, 2},
        new int[] {0, 1, 2}, 3, logTable, 3);
    new RefinedLogQ().lossAndGradient(nearer, new float[9], null, weight);
    assertEquals(expectedW0, weight[0], 1e-12);

    double[] tiny = {0.5, 0.5 - 1e-12, 1e-12};
    ReferenceLosses.Batch y = new ReferenceLosses.Batch(s, new int[] {0, 1, 2}, new int[] {0, 1, 2}, 3, tiny, 3);
    LossFixtures.assertMatchesReference(new RefinedLogQ(), LossFixtures.shared(y), ReferenceLosses.refined(y), 1e-6);
    LossFixtures.assertMatchesReference(new StandardLogQ(true), LossFixtures.shared(y),
        ReferenceLosses.standard(y, true), 1e-6);
    LossFixtures.assertMatchesReference(new StandardLogQ(false), LossFixtures.shared(y),
        ReferenceLosses.standard(y, false), 1e-6);
  }

  @Test
  void positiveWithProbabilityOne() {
    // Consistent table: Q(0) = 1, so every in-batch column is item 0 (k_in = 0). A uniform extra column
    // draws item 2, absent from the table; refined weighs it by U' = 1 / (N - 1) and needs no Q'.
    double[] table = {0.0, Double.NEGATIVE_INFINITY}; // log Q: item 0 certain, item 1 never seen, item 2 beyond
    float[] scores = {1.0f, 1.0f, 0.5f, 2.0f, 2.0f, -1.0f};
    Logits logits = new Logits(Logits.Layout.SHARED, 2, 3, scores, new int[] {0, 1}, new int[] {0, 0, 2}, 2,
        table, 3);
    double[] rowLoss = new double[2];
    double[] weight = new double[2];
    float[] grad = new float[6];
    new RefinedLogQ().lossAndGradient(logits, grad, rowLoss, weight);
    LossFixtures.assertAllFinite(grad, "refined grad");
    // Row 0: k = 1, z = 0.5 - log(1/2);  P^ = e^1 / (e^1 + e^z)
    double z0 = 0.5 - Math.log(0.5);
    double w0 = 1 - Math.exp(1.0) / (Math.exp(1.0) + Math.exp(z0));
    assertEquals(w0, weight[0], 1e-15);
    assertEquals(w0 * (-1.0 + z0), rowLoss[0], 1e-15);
    for (Loss loss : SHARED_LOSSES) {
      run(loss, logits, new float[6]);
    }

    // Inconsistent at double precision: Q(0) rounds to 1 but item 1 (an in-batch negative) has Q = 1e-12.
    // 1 - Q(0) is then taken as 1e-12 (its smallest consistent value): Q'(1) = 1, z = s.
    double[] rounded = {0.0, Math.log(1e-12)};
    Logits roundedLogits = new Logits(Logits.Layout.SHARED, 2, 2, new float[] {1.0f, 0.5f, 0.25f, 2.0f},
        new int[] {0, 1}, new int[] {0, 1}, 2, rounded, 2);
    new RefinedLogQ().lossAndGradient(roundedLogits, new float[4], rowLoss, weight);
    assertEquals(1 - Math.exp(1.0) / (Math.exp(1.0) + Math.exp(0.5)), weight[0], 1e-12);
    for (Loss loss : SHARED_LOSSES) {
      run(loss, roundedLogits, new float[4]);
    }
  }

  @Test
  void nonFiniteScoresAreReportedNotPropagated() {
    Logits logits = LossFixtures.shared(LossFixtures.handBatch());
    logits.scores[4] = Float.NaN; // row 1's positive
    for (Loss loss : SHARED_LOSSES) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> loss.lossAndGradient(logits, new float[9]), loss.toString());
      assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }
    logits.scores[4] = 1.5f;
    logits.scores[3] = Float.POSITIVE_INFINITY; // a negative of row 1
    for (Loss loss : SHARED_LOSSES) {
      assertThrows(IllegalArgumentException.class, () -> loss.lossAndGradient(logits, new float[9]),
          loss.toString());
    }
  }
}
