package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Verifies the comparison docs/decisions.md rests on: the SameDiff graphs of the in-batch losses give the
 * same dLoss/dU and dLoss/dV as the hand-derived path (loss gradient + Matrices), and SameDiff itself agrees
 * with central finite differences in double.
 */
class SameDiffGradientCheckTest {

  private static final int ROWS = 6;
  private static final int D = 4;
  private static final float INV_TAU = 2f;
  private static final int[] ITEMS = {0, 1, 2, 1, 3, 0}; // items 0 and 1 appear twice: accidental hits
  private static final double[] LOG_Q = logQ();

  private final float[] u = random(11);
  private final float[] v = random(12);

  private static double[] logQ() {
    double[] q = LossFixtures.zipf(5, 1.0);
    double[] out = new double[q.length];
    for (int i = 0; i < q.length; i++) {
      out[i] = Math.log(q[i]);
    }
    return out;
  }

  private static float[] random(long seed) {
    Random random = new Random(seed);
    float[] x = new float[ROWS * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.5 * random.nextGaussian());
    }
    return x;
  }

  @Test
  void sameDiffInDoubleMatchesFiniteDifferences() {
    SameDiffInBatch graph = SameDiffInBatch.build(SameDiffInBatch.Kind.NONE, u, v, ROWS, D, ITEMS, null, INV_TAU,
        DataType.DOUBLE);
    Map<String, INDArray> grads = graph.gradients();
    double h = 1e-6;
    for (String name : new String[] {"U", "V"}) {
      INDArray values = graph.sd.getVariable(name).getArr();
      INDArray grad = grads.get(name);
      for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < D; c++) {
          double original = values.getDouble(r, c);
          values.putScalar(new long[] {r, c}, original + h);
          double up = graph.lossValue();
          values.putScalar(new long[] {r, c}, original - h);
          double down = graph.lossValue();
          values.putScalar(new long[] {r, c}, original);
          assertEquals((up - down) / (2 * h), grad.getDouble(r, c), 1e-7, name + "[" + r + "," + c + "]");
        }
      }
    }
  }

  @Test
  void handDerivedMatchesSameDiffInDouble() {
    assertHandMatches(new NoCorrection(), SameDiffInBatch.Kind.NONE, DataType.DOUBLE, 2e-6);
    assertHandMatches(new RefinedLogQ(), SameDiffInBatch.Kind.REFINED, DataType.DOUBLE, 2e-6);
  }

  @Test
  void handDerivedMatchesSameDiffInFloat() {
    assertHandMatches(new NoCorrection(), SameDiffInBatch.Kind.NONE, DataType.FLOAT, 2e-5);
    assertHandMatches(new RefinedLogQ(), SameDiffInBatch.Kind.REFINED, DataType.FLOAT, 2e-5);
  }

  /**
   * The ND4J 1.0.0-M2 defects that docs/decisions.md reports and the tree-shaped graphs avoid. If an upgrade
   * fixes them this test fails: update the decision record.
   */
  @Test
  void nd4jM2DefectsThatTheTreeGraphsAvoid() {
    for (SameDiffInBatch.Kind natural : new SameDiffInBatch.Kind[] {
        SameDiffInBatch.Kind.NONE_NATURAL, SameDiffInBatch.Kind.REFINED_NATURAL}) {
      SameDiffInBatch.Kind tree = natural == SameDiffInBatch.Kind.NONE_NATURAL
          ? SameDiffInBatch.Kind.NONE : SameDiffInBatch.Kind.REFINED;
      SameDiffInBatch wrong = SameDiffInBatch.build(natural, u, v, ROWS, D, ITEMS, LOG_Q, INV_TAU, DataType.DOUBLE);
      SameDiffInBatch right = SameDiffInBatch.build(tree, u, v, ROWS, D, ITEMS, LOG_Q, INV_TAU, DataType.DOUBLE);
      assertEquals(right.lossValue(), wrong.lossValue(), 1e-12, natural + ": same loss value");
      // deeplearning4j issue #9655: an intermediate feeding two ops zeroes every gradient
      assertEquals(0.0, wrong.gradients().get("U").norm2Number().doubleValue(), 0.0, natural + " gradient");
      assertTrue(right.gradients().get("U").norm2Number().doubleValue() > 0.1, tree + " gradient");
    }
    SameDiffInBatch library = SameDiffInBatch.build(SameDiffInBatch.Kind.NONE_LIBRARY_LOGSUMEXP, u, v, ROWS, D,
        ITEMS, null, INV_TAU, DataType.DOUBLE);
    RuntimeException e = assertThrows(RuntimeException.class, library::gradients);
    assertTrue(String.valueOf(e.getMessage()).contains("reduce_sum_bp"), e.getMessage());
  }

  private void assertHandMatches(Loss loss, SameDiffInBatch.Kind kind, DataType type, double tol) {
    HandInBatchStep hand = new HandInBatchStep(ROWS, D);
    hand.run(loss, u, v, ITEMS, LOG_Q, LOG_Q.length, INV_TAU);
    SameDiffInBatch graph = SameDiffInBatch.build(kind, u, v, ROWS, D, ITEMS, LOG_Q, INV_TAU, type);
    assertEquals(graph.lossValue(), hand.lastLoss, tol, kind + " loss");
    Map<String, INDArray> grads = graph.gradients();
    double largest = 0;
    for (int r = 0; r < ROWS; r++) {
      for (int c = 0; c < D; c++) {
        assertEquals(grads.get("U").getDouble(r, c), hand.du[r * D + c], tol, kind + " " + type + " dU");
        assertEquals(grads.get("V").getDouble(r, c), hand.dv[r * D + c], tol, kind + " " + type + " dV");
        largest = Math.max(largest, Math.abs(hand.du[r * D + c]));
      }
    }
    assertTrue(largest > 1e-2, "non-trivial gradient: " + largest);
  }
}
