package dev.logq.common.model.tower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Loss;
import dev.logq.common.loss.Losses;
import dev.logq.common.model.Batch;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.model.sequence.SequenceModel;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The job's path for the sequence tower ({@link SequenceTower} inside {@link TwoTowerModel}: the shared head,
 * the loss's candidate columns) against the independent reference {@link SequenceModel} with the same settings
 * (K = 0): same loss and the same gradient of every tensor, for every loss.
 */
class SequenceTowerTest {

  static final int NUM_ITEMS = 12;
  static final int L = 5;
  static final int W = 3;
  static final int D = 8;

  private record Setup(SequenceModel reference, TwoTowerModel model, TensorStore params, int[] items, int[] targets,
                       double[] logQ) {}

  /** 1 block, 2 heads, FFN 12, MLPs on both sides, L2, tau 0.5; dropout as given; shared or separate tables. */
  private static Setup setup(double dropout, boolean shared) {
    SequenceModel reference = new SequenceModel(SequenceModel.builder().numItems(NUM_ITEMS).length(L).dim(D)
        .blocks(1).heads(2).hidden(12).dropout(dropout).userMlp(10).itemMlp(10).outputDim(6).l2Normalize(true)
        .temperature(0.5).sharedItemEmbedding(shared).seed(7).build());
    ModelSpec spec = ModelSpec.builder().numUsers(4).numItems(NUM_ITEMS)
        .userTower(new SequenceTower(L, 1, 2, 12, dropout, shared, 0)).embeddingDim(D).userMlp(10).itemMlp(10)
        .outputDim(6).l2Normalize(true).temperature(0.5).initStd(0.1).seed(7).build();
    TensorStore params = reference.initialParameters();
    SplittableRandom r = new SplittableRandom(11);
    for (String name : params.denseNames()) {
      float[] x = params.dense(name);
      for (int i = 0; i < x.length; i++) {
        x[i] += (float) ((r.nextDouble() - 0.5) * 0.2);
      }
    }
    int[] items = {
        -1, -1, 1, 2, 4,
        -1, 6, 7, 5, 8,
        0, 9, 5, 10, 2};
    int[] targets = SequenceModel.shiftedTargets(items, W, L, new int[] {3, 5, 3});
    double[] logQ = new double[NUM_ITEMS];
    long total = 0;
    for (int i = 0; i < NUM_ITEMS; i++) {
      total += 1 + (i * 7) % 5;
    }
    for (int i = 0; i < NUM_ITEMS; i++) {
      logQ[i] = Math.log((1 + (i * 7) % 5) / (double) total);
    }
    return new Setup(reference, new TwoTowerModel(spec), params, items, targets, logQ);
  }

  private static void checkSame(Setup s, Loss loss, int extra, long seed) {
    TensorPatch expected = new TensorPatch();
    double want = s.reference().lossAndGradient(s.params(), s.items(), s.targets(), W, loss, s.logQ(), extra, 0,
        new SplittableRandom(seed), expected);
    TensorPatch actual = new TensorPatch();
    Batch batch = Batch.ofSequences(W, L, s.items(), s.targets());
    assertEquals(12, batch.size, "loss rows are the positions with an item and a next item");
    double got = s.model().lossAndGradient(s.params(), batch, loss, s.logQ(), extra, new SplittableRandom(seed),
        actual);
    String what = loss.name() + " E=" + extra;
    assertEquals(want, got, 1e-5 * Math.abs(want) + 1e-7, what + " loss");
    assertEquals(expected.tableNames(), actual.tableNames(), what + " tables");
    assertEquals(expected.denseNames(), actual.denseNames(), what + " dense tensors");
    for (String name : expected.denseNames()) {
      assertClose(what + " " + name, expected.dense(name), actual.dense(name));
    }
    for (String table : expected.tableNames()) {
      SparseRows a = expected.rows(table);
      SparseRows b = actual.rows(table);
      assertEquals(new TreeSet<>(java.util.Arrays.stream(a.rowIds()).boxed().toList()),
          new TreeSet<>(java.util.Arrays.stream(b.rowIds()).boxed().toList()), what + " " + table + " rows");
      float[] va = new float[a.size() * a.dim()];
      float[] vb = new float[a.size() * a.dim()];
      for (int i = 0; i < a.size(); i++) {
        a.copyRow(i, va, i * a.dim());
        b.copyRow(b.indexOf(a.rowId(i)), vb, i * a.dim());
      }
      assertClose(what + " " + table, va, vb);
    }
  }

  @Test
  void theJobPathEqualsTheReferenceStepForEveryLossWithDropout() {
    for (boolean shared : new boolean[] {true, false}) {
      Setup s = setup(0.2, shared);
      // In-batch columns and the full catalog draw nothing before the encoder: the dropout masks match.
      for (String name : new String[] {"none", "standard", "refined", "full"}) {
        checkSame(s, Losses.byName(name, true), 0, 5);
      }
      checkSame(s, Losses.byName("standard", false), 0, 6);
    }
  }

  @Test
  void theJobPathEqualsTheReferenceStepWithUniformDrawsWithoutDropout() {
    // The reference draws its dropout masks before the uniform negatives, the job path after them: without
    // dropout the two draw the same negatives.
    Setup s = setup(0.0, true);
    checkSame(s, Losses.byName("refined", true), 4, 8);
    checkSame(s, Losses.byName("none", true), 3, 9);
    checkSame(s, Losses.byName("uniform-bce", true), 3, 10);
  }

  @Test
  void embeddingsAreTheLastPositionOfTheLastItems() {
    Setup s = setup(0.2, true);
    int[] history = {
        -1, -1, 1, 2, 4,
        -1, -1, -1, -1, -1,
        0, 9, 5, 10, 2};
    float[] want = new float[3 * 6];
    s.reference().userEmbeddings(s.params(), history, 3, want);
    float[] got = new float[3 * 6];
    s.model().userEmbeddings(s.params(), null, history, 3, got);
    assertArrayEquals(want, got);
    // More users than one encoder call takes (64): the same rows up to the last bits (the head's products
    // over 150 rows round differently from those over 3).
    int n = 150;
    int[] many = new int[n * L];
    for (int u = 0; u < n; u++) {
      System.arraycopy(history, (u % 3) * L, many, u * L, L);
    }
    float[] all = new float[n * 6];
    s.model().userEmbeddings(s.params(), null, many, n, all);
    for (int u = 0; u < n; u++) {
      assertClose("user " + u, java.util.Arrays.copyOfRange(want, (u % 3) * 6, (u % 3 + 1) * 6),
          java.util.Arrays.copyOfRange(all, u * 6, (u + 1) * 6));
    }
  }

  @Test
  void settingsAndShapes() {
    SequenceTower t = new SequenceTower(20, 1, 1, 0, 0.2, true, 0);
    assertEquals(InputKind.SEQUENCE, t.input());
    assertTrue(t.embedsUnseenUsers());
    assertEquals(20, t.window());
    assertEquals(20, t.windowStride());
    assertEquals(7, new SequenceTower(20, 1, 1, 0, 0.2, true, 7).windowStride());
    assertEquals("sequence", t.settings().get("userTower"));
    ModelSpec spec = ModelSpec.builder().numUsers(0).numItems(30).userTower(t).embeddingDim(16).outputDim(16)
        .seed(3).build();
    TensorStore params = TwoTowerModel.initialParameters(spec);
    new TwoTowerModel(spec).checkParameters(params);
    assertTrue(params.denseNames().contains("user.sequence.position"));
    assertTrue(!params.hasTable(SequenceTower.INPUT_EMBEDDING), "shared: no input table of its own");
    assertArrayEquals(params.dense("user.sequence.position"),
        TwoTowerModel.initialParameters(spec).dense("user.sequence.position"));
    assertThrows(IllegalArgumentException.class, () -> new SequenceTower(0, 1, 1, 0, 0.2, true, 0));
    assertThrows(IllegalArgumentException.class, () -> new SequenceTower(5, 1, 1, 0, 1.0, true, 0));
    assertThrows(IllegalArgumentException.class, () -> new SequenceTower(5, 1, 3, 0, 0.1, true, 0).encoder(16));
  }

  private static void assertClose(String what, float[] x, float[] y) {
    assertEquals(x.length, y.length, what + " length");
    double err = 0;
    double norm = 0;
    for (int i = 0; i < x.length; i++) {
      err += (x[i] - y[i]) * (double) (x[i] - y[i]);
      norm += (double) x[i] * x[i];
    }
    assertTrue(Math.sqrt(err) <= 1e-5 * Math.sqrt(norm) + 1e-7, what + ": |a - b| = " + Math.sqrt(err)
        + " vs |a| = " + Math.sqrt(norm));
  }
}
