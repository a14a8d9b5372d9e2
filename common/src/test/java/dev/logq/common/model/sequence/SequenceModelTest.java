package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.FullSoftmax;
import dev.logq.common.loss.ForwardingLoss;
import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;
import dev.logq.common.loss.NoCorrection;
import dev.logq.common.loss.RefinedLogQ;
import dev.logq.common.loss.StandardLogQ;
import dev.logq.common.loss.UniformBce;
import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sequence tower's training step ({@link SequenceModel#lossAndGradient}): central finite differences end to
 * end (encoder, user MLP, L2, item tower, loss) for every loss and column regime, accidental hits across
 * positions, the K sample, the refined Q' per position, causality of the step.
 */
class SequenceModelTest {

  static final int NUM_ITEMS = 12;
  static final int L = 5;
  static final int B = 3;

  /** A tiny model with everything switched on: 1 block, 2 heads, dropout, MLPs on both sides, L2. */
  static final class Setup {
    final SequenceModel model;
    final TensorStore params;
    final int[] items;
    final int[] targets;
    final double[] logQ;
    final long[] counts;

    Setup(boolean shared) {
      SequenceModel.Config config = SequenceModel.builder().numItems(NUM_ITEMS).length(L).dim(8).blocks(1).heads(2)
          .hidden(12).dropout(0.2).userMlp(10).itemMlp(10).outputDim(6).l2Normalize(true).temperature(0.5)
          .sharedItemEmbedding(shared).seed(7).build();
      model = new SequenceModel(config);
      params = model.initialParameters();
      // Non-trivial LayerNorm gains and biases, so their gradients are checked away from the initial point.
      SplittableRandom r = new SplittableRandom(11);
      for (String name : params.denseNames()) {
        float[] x = params.dense(name);
        for (int i = 0; i < x.length; i++) {
          x[i] += (float) ((r.nextDouble() - 0.5) * 0.2);
        }
      }
      // Front padding; items 2 and 3 are each the target of two positions, item 5 of three.
      items = new int[] {
          -1, -1, 1, 2, 4,
          -1, 6, 7, 5, 8,
          0, 9, 5, 10, 2};
      int[] next = {3, 5, 3};
      targets = SequenceModel.shiftedTargets(items, B, L, next);
      counts = new long[NUM_ITEMS];
      for (int i = 0; i < NUM_ITEMS; i++) {
        counts[i] = 1 + (i * 7) % 5;
      }
      long total = 0;
      for (long c : counts) {
        total += c;
      }
      logQ = new double[NUM_ITEMS];
      for (int i = 0; i < NUM_ITEMS; i++) {
        logQ[i] = Math.log((double) counts[i] / total);
      }
    }

    double step(Loss loss, int extra, int k, long seed, TensorPatch grad, SequenceModel.Trace trace) {
      return model.step(params, items, targets, B, loss, logQ, extra, k, new SplittableRandom(seed), grad, trace);
    }
  }

  @Test
  void shiftedTargetsAreTheNextItem() {
    Setup s = new Setup(true);
    assertArrayEquals(new int[] {-1, -1, 2, 4, 3, -1, 7, 5, 8, 5, 9, 5, 10, 2, 3}, s.targets);
    assertEquals(-1, SequenceModel.shiftedTargets(new int[] {-1, 4}, 1, 2, null)[1]);
  }

  // ----------------------------------------------------------------------------------------------
  // Finite differences, end to end

  /** Checks every dense tensor and every touched table row of the analytic gradient of {@code step} with FD. */
  private static void checkAll(Setup s, Loss analytic, Loss objective, int extra, int k) {
    TensorPatch grad = new TensorPatch();
    s.step(analytic, extra, k, 99, grad, null);
    Fd.Objective f = () -> s.step(objective, extra, k, 99, new TensorPatch(), null);
    String what = analytic.name() + " extra=" + extra + " k=" + k;
    for (String name : s.params.denseNames()) {
      float[] g = grad.dense(name);
      assertNotNull(g, what + ": no gradient for " + name);
      if (name.endsWith("attn.k.bias")) {
        // A key bias adds q . b to every key's score of a query: softmax-invariant, its gradient is exactly 0.
        for (float x : g) {
          assertEquals(0.0, x, 1e-5, what + " " + name);
        }
        continue;
      }
      Fd.check(what + " " + name, s.params.dense(name), g, f);
    }
    for (String table : s.params.tableNames()) {
      SparseRows rows = grad.rows(table);
      assertNotNull(rows, what + ": no gradient rows for " + table);
      int[] all = new int[NUM_ITEMS];
      for (int i = 0; i < NUM_ITEMS; i++) {
        all[i] = i;
      }
      Fd.checkTable(what + " table " + table, s.params.table(table), all, rows, f);
    }
  }

  @Test
  void noCorrectionAllTargets() {
    Setup s = new Setup(true);
    checkAll(s, new NoCorrection(), new NoCorrection(), 0, 0);
  }

  @Test
  void noCorrectionSeparateEmbeddings() {
    Setup s = new Setup(false);
    assertTrue(s.params.hasTable(SequenceModel.INPUT_EMBEDDING));
    checkAll(s, new NoCorrection(), new NoCorrection(), 0, 0);
  }

  @Test
  void standardBothVariantsAllTargetsAndSampled() {
    Setup s = new Setup(true);
    checkAll(s, new StandardLogQ(true), new StandardLogQ(true), 0, 0);
    checkAll(s, new StandardLogQ(false), new StandardLogQ(false), 0, 3);
  }

  @Test
  void mixedInBatchAndUniform() {
    Setup s = new Setup(true);
    checkAll(s, new StandardLogQ(false), new StandardLogQ(false), 4, 0);
    checkAll(s, new NoCorrection(), new NoCorrection(), 4, 2);
  }

  @Test
  void fullSoftmax() {
    Setup s = new Setup(true);
    checkAll(s, new FullSoftmax(), new FullSoftmax(), 3, 2);
  }

  @Test
  void uniformBce() {
    Setup s = new Setup(true);
    checkAll(s, new UniformBce(), new UniformBce(), 3, 2);
  }

  /**
   * The refined loss stops the gradient at w_b (SequenceLossRowsTest): record dLoss/dScores G0 of every loss
   * call at the parameters; the surrogate sum over calls of G0 . S(theta) has the gradient the step must give.
   */
  private static void checkRefined(Setup s, int extra, int k) {
    RefinedLogQ refined = new RefinedLogQ();
    List<float[]> g0 = new ArrayList<>();
    s.step(new ForwardingLoss(refined) {
      @Override
      public double lossAndGradient(Logits logits, float[] gradScores) {
        double v = refined.lossAndGradient(logits, gradScores);
        g0.add(gradScores.clone());
        return v;
      }
    }, extra, k, 99, new TensorPatch(), null);
    boolean nonZero = false;
    for (float[] g : g0) {
      for (float x : g) {
        nonZero |= x != 0f;
      }
    }
    assertTrue(nonZero);
    int[] call = new int[1];
    Loss surrogate = new ForwardingLoss(refined) {
      @Override
      public double lossAndGradient(Logits logits, float[] gradScores) {
        float[] g = g0.get(call[0]++ % g0.size());
        System.arraycopy(g, 0, gradScores, 0, g.length);
        return Fd.dot(g, logits.scores);
      }
    };
    checkAll(s, refined, surrogate, extra, k);
  }

  @Test
  void refinedThroughItsScoreGradient() {
    Setup s = new Setup(true);
    checkRefined(s, 0, 0);
    checkRefined(s, 3, 0);
    checkRefined(s, 2, 3);
  }

  // ----------------------------------------------------------------------------------------------
  // Columns, masking, sampling

  /** Rows naming item 3 and item 5 twice: with counts the duplicate's negative term is dropped for both rows. */
  @Test
  void accidentalHitsAcrossPositionsAreMasked() {
    Setup s = new Setup(true);
    SequenceModel.Trace trace = new SequenceModel.Trace();
    double value = s.step(new NoCorrection(), 0, 0, 5, new TensorPatch(), trace);
    Logits lg = trace.logits.get(0);
    SequenceLossRows rows = trace.rows;
    int twice = 0;
    for (int j = 0; j < lg.cols; j++) {
      twice += lg.count(j) == 2 ? 1 : 0;
    }
    assertEquals(2, twice, "items 2 and 3 are each the target of two positions (item 5 of three)");
    double expected = 0;
    for (int b = 0; b < lg.rows; b++) {
      double sp = lg.scores[b * lg.cols + lg.positiveColumn[b]];
      double sum = Math.exp(sp);
      // The reference: every OTHER row's positive is a negative, except those naming this row's item.
      for (int other = 0; other < rows.rows; other++) {
        if (other != b && rows.positive[other] != rows.positive[b]) {
          sum += Math.exp(lg.scores[b * lg.cols + rows.positiveColumn[other]]);
        }
      }
      expected += -sp + Math.log(sum);
    }
    assertEquals(expected / lg.rows, value, 1e-5);

    // Mixed layout: column i is row i's positive; the other row's copy of the same item gets no gradient.
    SequenceModel.Trace mixed = new SequenceModel.Trace();
    float[][] grads = new float[1][];
    NoCorrection none = new NoCorrection();
    s.step(new ForwardingLoss(none) {
      @Override
      public double lossAndGradient(Logits logits, float[] gradScores) {
        double v = none.lossAndGradient(logits, gradScores);
        grads[0] = gradScores.clone();
        return v;
      }
    }, 3, 0, 5, new TensorPatch(), mixed);
    Logits m = mixed.logits.get(0);
    int pairs = 0;
    for (int b = 0; b < m.rows; b++) {
      for (int other = 0; other < m.rows; other++) {
        if (other != b && m.columnItem[other] == m.columnItem[b]) {
          assertEquals(0f, grads[0][b * m.cols + other], "row " + b + " column " + other);
          pairs++;
        } else if (other != b) {
          assertTrue(grads[0][b * m.cols + other] > 0f);
        }
      }
    }
    // Item 2 and item 3 are targets twice, item 5 three times: 2 + 2 + 6 ordered (row, other row) pairs.
    assertEquals(10, pairs);
  }

  @Test
  void sampleIsDeterministicAndEveryPositiveIsAColumn() {
    Setup s = new Setup(true);
    Set<String> samples = new HashSet<>();
    for (long seed = 0; seed < 8; seed++) {
      SequenceModel.Trace a = new SequenceModel.Trace();
      SequenceModel.Trace b = new SequenceModel.Trace();
      TensorPatch ga = new TensorPatch();
      TensorPatch gb = new TensorPatch();
      double va = s.step(new StandardLogQ(false), 2, 4, seed, ga, a);
      double vb = s.step(new StandardLogQ(false), 2, 4, seed, gb, b);
      assertArrayEquals(a.sample, b.sample);
      assertEquals(Double.doubleToLongBits(va), Double.doubleToLongBits(vb));
      assertTrue(ga.bitwiseEquals(gb));
      samples.add(java.util.Arrays.toString(a.sample));
      // The sample: 4 distinct items, all targets of the batch.
      Set<Integer> distinct = new HashSet<>();
      Set<Integer> batchTargets = new HashSet<>();
      for (int t : a.rows.columnItem) {
        batchTargets.add(t);
      }
      for (int item : a.sample) {
        assertTrue(batchTargets.contains(item));
        distinct.add(item);
      }
      assertEquals(4, distinct.size());
      // Every row is in exactly one loss call, whose column 0 is its positive; the K + E negatives are shared.
      int seen = 0;
      for (Logits lg : a.logits) {
        assertEquals(1 + 4 + 2, lg.cols);
        assertEquals(1 + 4, lg.inBatchColumns);
        for (int j = 0; j < 4; j++) {
          assertEquals(a.sample[j], lg.columnItem[1 + j]);
        }
        assertEquals(a.logits.get(0).columnItem[5], lg.columnItem[5]);
        for (int r = 0; r < lg.rows; r++) {
          assertEquals(0, lg.positiveColumn[r]);
        }
        seen += lg.rows;
      }
      assertEquals(a.rows.rows, seen);
      assertEquals(a.rows.cols(), a.logits.size());
      for (int c = 0; c < a.rows.cols(); c++) {
        assertEquals(a.rows.columnItem[c], a.logits.get(c).columnItem[0]);
      }
    }
    assertTrue(samples.size() > 1, "different seeds draw different samples");
    // K above the number of distinct targets: all of them, once each.
    SequenceModel.Trace all = new SequenceModel.Trace();
    s.step(new NoCorrection(), 0, 100, 1, new TensorPatch(), all);
    assertEquals(all.rows.cols(), all.sample.length);
  }

  /**
   * Refined by hand: each position's negatives are the batch's other positions' targets (multiplicity kept, the
   * row's own item masked), weighted by Q'_b(j) = c_j / (C - c_pb) with pb THIS position's target.
   */
  @Test
  void refinedUsesEachPositionsOwnQPrime() {
    Setup s = new Setup(true);
    long total = 0;
    for (long c : s.counts) {
      total += c;
    }
    for (int k : new int[] {0, 3}) {
      SequenceModel.Trace trace = new SequenceModel.Trace();
      double value = s.step(new RefinedLogQ(), 0, k, 17, new TensorPatch(), trace);
      SequenceLossRows rows = trace.rows;
      double expected = 0;
      int rowIndex = 0;
      for (Logits lg : trace.logits) {
        for (int b = 0; b < lg.rows; b++, rowIndex++) {
          int p = lg.positiveItem(b);
          double sp = lg.scores[b * lg.cols + lg.positiveColumn[b]];
          List<Double> z = new ArrayList<>();
          if (k == 0) {
            // Negatives with multiplicity: the other rows' targets, minus this row's own item.
            for (int other = 0; other < rows.rows; other++) {
              int item = rows.positive[other];
              if (item != p) {
                double qPrime = (double) s.counts[item] / (total - s.counts[p]);
                z.add(lg.scores[b * lg.cols + rows.positiveColumn[other]] - Math.log(qPrime));
              }
            }
          } else {
            for (int item : trace.sample) {
              if (item != p) {
                int j = 1 + indexOf(trace.sample, item);
                double qPrime = (double) s.counts[item] / (total - s.counts[p]);
                z.add(lg.scores[b * lg.cols + j] - Math.log(qPrime));
              }
            }
          }
          if (z.isEmpty()) {
            continue;
          }
          double sumExp = 0;
          for (double x : z) {
            sumExp += Math.exp(x);
          }
          double pHat = Math.exp(sp) / (Math.exp(sp) + sumExp / z.size());
          expected += (1 - pHat) * (-sp + Math.log(sumExp));
        }
      }
      assertEquals(rows.rows, rowIndex);
      assertEquals(expected / rows.rows, value, 1e-5, "k = " + k);
    }
  }

  private static int indexOf(int[] a, int x) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == x) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Two column regimes that must agree: when every target of the batch is distinct, a K sample of at least all
   * of them (each row: its positive, then every target shuffled, its own copy masked) is the all-targets layout
   * (distinct targets, every count 1) with its columns permuted, so loss and gradients agree up to rounding.
   */
  @Test
  void sampleOfAllDistinctTargetsEqualsAllTargets() {
    Setup s = new Setup(true);
    int[] items = {-1, 1, 2, 4, 6, -1, -1, 7, 5, 8, 0, 9, 3, 10, 11};
    int[] targets = SequenceModel.shiftedTargets(items, B, L, new int[] {0, 7, 1});
    for (Loss loss : new Loss[] {new NoCorrection(), new StandardLogQ(true), new StandardLogQ(false),
        new RefinedLogQ()}) {
      TensorPatch all = new TensorPatch();
      TensorPatch sampled = new TensorPatch();
      SequenceModel.Trace trace = new SequenceModel.Trace();
      double a = s.model.step(s.params, items, targets, B, loss, s.logQ, 0, 0, new SplittableRandom(4), all, trace);
      for (int j = 0; j < trace.logits.get(0).cols; j++) {
        assertEquals(1, trace.logits.get(0).count(j), "the fixture's targets are distinct");
      }
      double b = s.model.step(s.params, items, targets, B, loss, s.logQ, 0, 50, new SplittableRandom(4), sampled,
          null);
      assertEquals(a, b, 1e-6 * Math.max(1, Math.abs(a)), loss.name());
      assertEquals(all.denseNames(), sampled.denseNames());
      for (String name : all.denseNames()) {
        assertClose(loss.name() + " " + name, all.dense(name), sampled.dense(name));
      }
      SparseRows ra = all.rows(SequenceModel.ITEM_EMBEDDING);
      SparseRows rb = sampled.rows(SequenceModel.ITEM_EMBEDDING);
      assertArrayEquals(ra.rowIds(), rb.rowIds());
      float[] va = new float[ra.size() * ra.dim()];
      float[] vb = new float[va.length];
      for (int i = 0; i < ra.size(); i++) {
        ra.copyRow(i, va, i * ra.dim());
        rb.copyRow(i, vb, i * rb.dim());
      }
      assertClose(loss.name() + " item rows", va, vb);
    }
  }

  private static void assertClose(String what, float[] x, float[] y) {
    double err = 0;
    double norm = 0;
    for (int i = 0; i < x.length; i++) {
      err += (x[i] - y[i]) * (double) (x[i] - y[i]);
      norm += (double) x[i] * x[i];
    }
    assertTrue(Math.sqrt(err) <= 1e-4 * Math.sqrt(norm) + 1e-7, what + ": |a - b| = " + Math.sqrt(err)
        + " vs |a| = " + Math.sqrt(norm));
  }

  // ----------------------------------------------------------------------------------------------
  // Causality at the level of the step

  /**
   * With the full softmax every row's loss depends only on its own query: changing the items two or more slots
   * after position t (so position t's target stays) leaves every row at a position <= t bit for bit unchanged,
   * and its gradient contribution too (checked through dLoss/dScores).
   */
  @Test
  void laterItemsDoNotChangeEarlierRows() {
    Setup s = new Setup(true);
    SequenceModel.Trace before = new SequenceModel.Trace();
    s.step(new FullSoftmax(), 0, 0, 3, new TensorPatch(), before);
    int t = 2;
    int[] changed = s.items.clone();
    for (int b = 0; b < B; b++) {
      for (int slot = t + 2; slot < L; slot++) {
        if (changed[b * L + slot] >= 0) {
          changed[b * L + slot] = (changed[b * L + slot] + 5) % NUM_ITEMS;
        }
      }
    }
    int[] changedTargets = SequenceModel.shiftedTargets(changed, B, L, new int[] {11, 11, 11});
    SequenceModel.Trace after = new SequenceModel.Trace();
    s.model.step(s.params, changed, changedTargets, B, new FullSoftmax(), s.logQ, 0, 0, new SplittableRandom(3),
        new TensorPatch(), after);
    Logits x = before.logits.get(0);
    Logits y = after.logits.get(0);
    assertEquals(before.rows.rows, after.rows.rows);
    int checked = 0;
    boolean laterDiffer = false;
    for (int i = 0; i < before.rows.rows; i++) {
      assertEquals(before.rows.position[i], after.rows.position[i]);
      float[] rx = java.util.Arrays.copyOfRange(x.scores, i * x.cols, (i + 1) * x.cols);
      float[] ry = java.util.Arrays.copyOfRange(y.scores, i * y.cols, (i + 1) * y.cols);
      if (before.rows.position[i] % L <= t) {
        assertEquals(before.rows.positive[i], after.rows.positive[i]);
        assertArrayEquals(rx, ry, "row at position " + before.rows.position[i]);
        checked++;
      } else {
        laterDiffer |= !java.util.Arrays.equals(rx, ry);
      }
    }
    assertTrue(checked >= 4);
    assertTrue(laterDiffer, "the change must reach the later positions (else the test is vacuous)");
  }

  @Test
  void batchWithoutTargetsGivesZero() {
    Setup s = new Setup(true);
    int[] none = new int[B * L];
    java.util.Arrays.fill(none, -1);
    TensorPatch grad = new TensorPatch();
    double v = s.model.lossAndGradient(s.params, s.items, none, B, new NoCorrection(), s.logQ, 0, 0,
        new SplittableRandom(1), grad);
    assertEquals(0.0, v);
    for (String name : grad.denseNames()) {
      for (float g : grad.dense(name)) {
        assertEquals(0f, g);
      }
    }
    assertFalse(grad.isEmpty());
  }
}
