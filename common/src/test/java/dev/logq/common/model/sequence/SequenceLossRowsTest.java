package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.ForwardingLoss;
import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;
import dev.logq.common.loss.NoCorrection;
import dev.logq.common.loss.RefinedLogQ;
import dev.logq.common.loss.UniformBce;
import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every valid position as a query row, with the in-batch losses on the batch's distinct targets. */
class SequenceLossRowsTest {

  @Test
  void rowsColumnsAndScatter() {
    int[] items = {-1, -1, 3, 5, 3, 2, 2, 7, 1, 4};
    int[] targets = {-1, 3, 5, 3, 8, 2, 7, 3, 4, -1};
    SequenceLossRows rows = SequenceLossRows.of(items, targets, 10);
    assertEquals(7, rows.rows);
    assertArrayEquals(new int[] {2, 3, 4, 5, 6, 7, 8}, rows.position, "the padding slot with a target is no row");
    assertArrayEquals(new int[] {5, 3, 8, 2, 7, 3, 4}, rows.positive);
    assertArrayEquals(new int[] {5, 3, 8, 2, 7, 4}, rows.columnItem);
    assertArrayEquals(new int[] {1, 2, 1, 1, 1, 1}, rows.columnCount);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 1, 5}, rows.positiveColumn);
    int d = 2;
    float[] hidden = new float[10 * d];
    for (int i = 0; i < hidden.length; i++) {
      hidden[i] = i;
    }
    float[] q = rows.gatherQueries(hidden, d, 0.5f);
    assertEquals(2f, q[0]);
    assertEquals(2.5f, q[1]);
    assertEquals(8f, q[12]);
    float[] dHidden = new float[10 * d];
    float[] dq = new float[7 * d];
    java.util.Arrays.fill(dq, 1f);
    rows.scatter(dq, d, 2f, dHidden);
    assertEquals(0f, dHidden[2]);
    assertEquals(2f, dHidden[4]);
    assertEquals(0f, dHidden[18]);
    Logits logits = rows.logits(new float[7 * 6], new double[10], 10);
    assertTrue(logits.isAccidentalHit(1, 1) == false && logits.isAccidentalHit(5, 1) == false);
    assertEquals(2, logits.count(1));
    assertThrows(IllegalArgumentException.class, () -> rows.logits(new float[42], new double[10], 8));
    assertThrows(IllegalArgumentException.class, () -> SequenceLossRows.of(items, new int[] {-2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 10));
  }

  static final float INV_TAU = 2f;

  /** Encoder + in-batch softmax on a shared item table (the encoder's input rows and the output columns). */
  static final class Setup {
    final int length = 6;
    final int d = 8;
    final int batch = 3;
    final CausalTransformerEncoder enc = new CausalTransformerEncoder("seq", "items", length, d, 2, 2, 12, 0.2);
    final TensorStore params = EncoderGradientTest.params(enc, 21);
    final int[] items = EncoderGradientTest.items(length);
    final int[] targets = new int[batch * length];
    final SequenceLossRows rows;
    final double[] logQ = new double[EncoderGradientTest.NUM_ITEMS];

    Setup() {
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < length; t++) {
          int r = b * length + t;
          targets[r] = t + 1 < length ? items[r + 1] : (b * 3 + 2) % EncoderGradientTest.NUM_ITEMS;
        }
      }
      rows = SequenceLossRows.of(items, targets, batch * length);
      double total = 0;
      for (int i = 0; i < logQ.length; i++) {
        total += i + 1;
      }
      for (int i = 0; i < logQ.length; i++) {
        logQ[i] = Math.log((i + 1) / total);
      }
    }

    float[] columns() {
      EmbeddingTable table = params.table("items");
      float[] v = new float[rows.cols() * d];
      for (int j = 0; j < rows.cols(); j++) {
        table.readRow(rows.columnItem[j], v, j * d);
      }
      return v;
    }

    /** The step's loss; with grads != null also its gradient (item rows into itemRows). */
    double step(Loss loss, TensorPatch grads, SparseRowsBuilder itemRows) {
      float[] hidden = new float[batch * length * d];
      CausalTransformerEncoder.Cache cache = enc.forward(params, items, batch, new SplittableRandom(5), hidden);
      float[] v = columns();
      float[] dHidden = new float[hidden.length];
      float[] dColumns = new float[v.length];
      double value = rows.lossAndGradient(hidden, v, d, INV_TAU, loss, logQ, EncoderGradientTest.NUM_ITEMS, dHidden,
          dColumns);
      if (grads != null) {
        for (int j = 0; j < rows.cols(); j++) {
          itemRows.add(rows.columnItem[j], dColumns, j * d);
        }
        enc.backward(params, cache, dHidden, itemRows, grads);
      }
      return value;
    }
  }

  static void checkAll(Setup s, Loss loss, Loss objective) {
    TensorPatch grads = new TensorPatch();
    SparseRowsBuilder itemRows = new SparseRowsBuilder(s.d, 16);
    s.step(loss, grads, itemRows);
    Fd.Objective f = () -> s.step(objective, null, null);
    for (String name : s.params.denseNames()) {
      if (name.endsWith("attn.k.bias")) {
        continue; // identically zero gradient (softmax shift invariance), see EncoderGradientTest
      }
      Fd.check(loss.name() + " " + name, s.params.dense(name), grads.dense(name), f);
    }
    int[] all = new int[EncoderGradientTest.NUM_ITEMS];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    Fd.checkTable(loss.name() + " shared item table", s.params.table("items"), all, itemRows.build(), f);
  }

  @Test
  void noCorrectionEndToEnd() {
    Setup s = new Setup();
    checkAll(s, new NoCorrection(), new NoCorrection());
  }

  /**
   * The refined loss stops the gradient through its weight w_b, so its gradient is not the derivative of its
   * value. The check: at the parameters, record dLoss/dScores G0 (from RefinedLogQ); the gradient of the
   * surrogate sum(G0 * S(theta)) at those parameters is what the chain rule through scores, encoder and tables
   * must give, and it is what the step computes with RefinedLogQ.
   */
  @Test
  void refinedLogQEndToEndThroughItsScoreGradient() {
    Setup s = new Setup();
    RefinedLogQ refined = new RefinedLogQ();
    float[][] g0 = new float[1][];
    Loss recorder = new ForwardingLoss(refined) {
      @Override
      public double lossAndGradient(Logits logits, float[] gradScores) {
        double v = refined.lossAndGradient(logits, gradScores);
        g0[0] = gradScores.clone();
        return v;
      }
    };
    s.step(recorder, null, null);
    boolean nonZero = false;
    for (float g : g0[0]) {
      nonZero |= g != 0f;
    }
    assertTrue(nonZero);
    Loss surrogate = new ForwardingLoss(refined) {
      @Override
      public double lossAndGradient(Logits logits, float[] gradScores) {
        System.arraycopy(g0[0], 0, gradScores, 0, g0[0].length);
        return Fd.dot(g0[0], logits.scores);
      }
    };
    checkAll(s, refined, surrogate);
  }

  @Test
  void perRowLossesAreRefused() {
    Setup s = new Setup();
    assertThrows(IllegalArgumentException.class, () -> s.step(new UniformBce(), null, null));
  }
}
