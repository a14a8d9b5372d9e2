package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.IdTower;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The model's hand-derived gradients against central finite differences of an independent double
 * implementation ({@link ReferenceTwoTower}), for every tower variant and every tensor kind: every
 * coordinate of every table row (touched or not) and of every dense tensor is checked.
 */
class TwoTowerGradientTest {

  private static final int NUM_ITEMS = 8;
  private static final int NUM_USERS = 5;
  private static final int[] ITEMS = {1, 3, 3, 6, 0};
  private static final int[] USERS = {0, 2, 4, 2, 1};
  /** L = 4; row 1 is an empty history, rows 0 and 3 are padded, row 4 repeats an item. */
  private static final int[] HISTORY = {
      -1, 2, 5, 2,
      -1, -1, -1, -1,
      0, 1, 3, 7,
      -1, -1, -1, 4,
      6, 6, -1, 1};
  private static final double H = 1e-5;

  private static final int HISTORY_LENGTH = 4;

  private static ModelSpec.Builder base() {
    return ModelSpec.builder().numUsers(NUM_USERS).numItems(NUM_ITEMS).embeddingDim(4).outputDim(4)
        .l2Normalize(false).temperature(0.5).initStd(0.5).seed(3);
  }

  @Test
  void itemAndUserEmbeddingsOnly() {
    check(base().build(), TestLosses.softmax("test-softmax"), 0);
  }

  @Test
  void itemMlpWithTemperature() {
    // Without L2, the item tower's output bias adds <u_b, bias> to every column of row b, which a
    // softmax ignores: its gradient is exactly zero, and must come out so.
    check(base().itemMlp(5).outputDim(3).userMlp(6).temperature(0.2).build(), TestLosses.softmax("test-softmax"), 0,
        "item.mlp.1.bias");
  }

  @Test
  void l2NormalisedTowersWithMlpsAndUniformNegatives() {
    check(base().itemMlp(5, 4).userMlp(6).outputDim(3).l2Normalize(true).temperature(0.1).build(),
        TestLosses.softmax("test-softmax"), 4);
  }

  @Test
  void l2NormalisedEmbeddingsWithoutMlp() {
    check(base().l2Normalize(true).temperature(0.25).build(), TestLosses.softmax("test-softmax"), 2);
  }

  @Test
  void historyTowerMeanPooling() {
    check(base().userTower(new HistoryTower(HISTORY_LENGTH, HistoryPooling.MEAN)).build(),
        TestLosses.softmax("test-softmax"), 0);
  }

  @Test
  void historyTowerMeanPoolingWithMlpAndL2() {
    check(base().userTower(new HistoryTower(HISTORY_LENGTH, HistoryPooling.MEAN)).userMlp(5).itemMlp(3)
        .outputDim(3).l2Normalize(true).temperature(0.2).build(), TestLosses.softmax("test-softmax"), 3);
  }

  @Test
  void historyTowerAttentionPooling() {
    check(base().userTower(new HistoryTower(HISTORY_LENGTH, HistoryPooling.ATTENTION)).build(),
        TestLosses.softmax("test-softmax"), 0);
  }

  @Test
  void historyTowerAttentionPoolingWithMlpAndL2() {
    check(base().userTower(new HistoryTower(HISTORY_LENGTH, HistoryPooling.ATTENTION)).userMlp(5).itemMlp(6)
        .outputDim(3).l2Normalize(true).temperature(0.3).build(), TestLosses.softmax("test-softmax"), 2);
  }

  @Test
  void perRowLayoutBce() {
    check(base().itemMlp(5).userMlp(5).outputDim(3).l2Normalize(true).temperature(0.3).build(), TestLosses.bce(), 3);
  }

  @Test
  void fullCatalogColumns() {
    check(base().userMlp(3).itemMlp(4).outputDim(2).l2Normalize(true).build(),
        TestLosses.softmax(TestLosses.FULL), 5);
  }

  @Test
  void columnsFollowTheLossLayout() {
    ModelSpec spec = base().build();
    TensorStore params = TwoTowerModel.initialParameters(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    Batch batch = Batch.ofUsers(ITEMS.length, USERS, ITEMS);

    TestLosses.Capturing shared = new TestLosses.Capturing(TestLosses.softmax("test-softmax"));
    model.lossAndGradient(params, batch, shared, null, 3, new SplittableRandom(1), new TensorPatch());
    assertEquals(Logits.Layout.SHARED, shared.layout);
    assertEquals(ITEMS.length + 3, shared.cols);
    assertEquals(ITEMS.length, shared.inBatchColumns);
    for (int b = 0; b < ITEMS.length; b++) {
      assertEquals(b, shared.positiveColumn[b]);
      assertEquals(ITEMS[b], shared.columnItem[b]);
    }
    SplittableRandom replay = new SplittableRandom(1);
    for (int j = ITEMS.length; j < shared.cols; j++) {
      assertEquals(replay.nextInt(NUM_ITEMS), shared.columnItem[j], "uniform draw order");
    }

    // Without uniform negatives: each distinct positive item once, in order of first appearance, with counts.
    TestLosses.Capturing distinct = new TestLosses.Capturing(TestLosses.softmax("test-softmax"));
    model.lossAndGradient(params, batch, distinct, null, 0, null, new TensorPatch());
    assertEquals(Logits.Layout.SHARED, distinct.layout);
    assertArrayEquals(new int[] {1, 3, 6, 0}, java.util.Arrays.copyOf(distinct.columnItem, distinct.cols));
    assertArrayEquals(new int[] {1, 2, 1, 1}, distinct.columnCount);
    assertArrayEquals(new int[] {0, 1, 1, 2, 3}, distinct.positiveColumn);
    assertEquals(4, distinct.inBatchColumns);

    TestLosses.Capturing full = new TestLosses.Capturing(TestLosses.softmax(TestLosses.FULL));
    model.lossAndGradient(params, batch, full, null, 3, new SplittableRandom(1), new TensorPatch());
    assertEquals(NUM_ITEMS, full.cols);
    assertArrayEquals(ITEMS, full.positiveColumn);
    for (int i = 0; i < NUM_ITEMS; i++) {
      assertEquals(i, full.columnItem[i]);
    }

    TestLosses.Capturing perRow = new TestLosses.Capturing(TestLosses.bce());
    model.lossAndGradient(params, batch, perRow, null, 4, new SplittableRandom(1), new TensorPatch());
    assertEquals(Logits.Layout.PER_ROW, perRow.layout);
    assertEquals(5, perRow.cols);
    assertEquals(ITEMS.length * 5, perRow.columnItem.length);
    for (int b = 0; b < ITEMS.length; b++) {
      assertEquals(0, perRow.positiveColumn[b]);
      assertEquals(ITEMS[b], perRow.columnItem[b * 5]);
    }
  }

  @Test
  void sameInputsGiveTheSameBits() {
    ModelSpec spec = base().userTower(new HistoryTower(HISTORY_LENGTH, HistoryPooling.ATTENTION)).userMlp(5)
        .itemMlp(5).outputDim(3).l2Normalize(true).build();
    TensorStore params = randomised(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    Batch batch = Batch.ofHistory(ITEMS.length, HISTORY, ITEMS);
    TensorPatch first = new TensorPatch();
    TensorPatch second = new TensorPatch();
    double a = model.lossAndGradient(params, batch, TestLosses.softmax("x"), null, 3, new SplittableRandom(9), first);
    double b = model.lossAndGradient(params, batch, TestLosses.softmax("x"), null, 3, new SplittableRandom(9), second);
    assertEquals(Double.doubleToLongBits(a), Double.doubleToLongBits(b));
    assertTrue(first.bitwiseEquals(second));
  }

  @Test
  void embeddingsMatchTheReference() {
    ModelSpec spec = base().userTower(new HistoryTower(HISTORY_LENGTH, HistoryPooling.ATTENTION)).userMlp(5)
        .itemMlp(6).outputDim(3).l2Normalize(true).build();
    TensorStore params = randomised(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    ReferenceTwoTower reference = new ReferenceTwoTower(spec);
    ReferenceTwoTower.Values values = ReferenceTwoTower.of(params);
    Batch batch = Batch.ofHistory(ITEMS.length, HISTORY, ITEMS);
    float[] users = new float[ITEMS.length * 3];
    model.userEmbeddings(params, null, HISTORY, ITEMS.length, users);
    float[] items = new float[ITEMS.length * 3];
    model.itemEmbeddings(params, ITEMS, ITEMS.length, items);
    for (int b = 0; b < ITEMS.length; b++) {
      double[] u = reference.user(values, batch, b);
      double[] v = reference.item(values, ITEMS[b]);
      for (int k = 0; k < 3; k++) {
        assertEquals(u[k], users[b * 3 + k], 1e-5, "user row " + b);
        assertEquals(v[k], items[b * 3 + k], 1e-5, "item row " + b);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Initial parameters with every dense tensor (biases and attention included) set to random values. */
  private static TensorStore randomised(ModelSpec spec) {
    TensorStore params = TwoTowerModel.initialParameters(spec);
    Random random = new Random(17);
    for (String name : params.denseNames()) {
      float[] values = params.dense(name);
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (random.nextGaussian() * 0.6);
      }
    }
    return params;
  }

  /**
   * Checks every gradient coordinate. A tensor whose finite-difference gradient is identically zero
   * proves nothing, so that is a failure unless the tensor is listed in {@code invariant} (and then its
   * analytic gradient must be zero too).
   */
  private static void check(ModelSpec spec, Loss loss, int negatives, String... invariant) {
    java.util.Set<String> zeroAllowed = java.util.Set.of(invariant);
    TensorStore params = randomised(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    Batch batch = spec.userTower() instanceof IdTower
        ? Batch.ofUsers(ITEMS.length, USERS, ITEMS)
        : Batch.ofHistory(ITEMS.length, HISTORY, ITEMS);
    TestLosses.Capturing capturing = new TestLosses.Capturing(loss);
    TensorPatch grad = new TensorPatch();
    double value = model.lossAndGradient(params, batch, capturing, null, negatives, new SplittableRandom(5), grad);

    ReferenceTwoTower reference = new ReferenceTwoTower(spec);
    ReferenceTwoTower.Values values = ReferenceTwoTower.of(params);
    double expected = reference.loss(values, batch, capturing);
    assertEquals(expected, value, 1e-5 * Math.max(1.0, Math.abs(expected)), "loss value");

    List<String> failures = new ArrayList<>();
    for (String name : params.tableNames()) {
      EmbeddingTable table = params.table(name);
      SparseRows rows = grad.rows(name);
      assertTrue(rows != null, "gradient has rows for table " + name);
      double[] fd = new double[table.rows() * table.dim()];
      double[] analytic = new double[fd.length];
      TreeSet<Integer> touched = new TreeSet<>();
      for (int row = 0; row < table.rows(); row++) {
        int index = rows.indexOf(row);
        boolean nonzero = false;
        for (int col = 0; col < table.dim(); col++) {
          fd[row * table.dim() + col] = centralDifference(reference, values, batch, capturing, name, row, col);
          analytic[row * table.dim() + col] = index >= 0 ? rows.get(index, col) : 0.0;
          nonzero |= fd[row * table.dim() + col] != 0.0;
        }
        if (nonzero) {
          touched.add(row);
        }
      }
      compare(name, fd, analytic, zeroAllowed.contains(name), failures);
      for (int row : touched) {
        assertTrue(rows.indexOf(row) >= 0, name + ": row " + row + " has a gradient but is missing from the patch");
      }
      assertTrue(rows.size() <= expectedTouchedRows(spec, name, capturing, batch),
          name + ": patch names more rows than the step touched");
    }
    for (String name : params.denseNames()) {
      float[] tensor = params.dense(name);
      float[] g = grad.dense(name);
      assertTrue(g != null, "gradient has dense tensor " + name);
      double[] fd = new double[tensor.length];
      double[] analytic = new double[tensor.length];
      for (int i = 0; i < tensor.length; i++) {
        fd[i] = centralDifference(reference, values, batch, capturing, name, -1, i);
        analytic[i] = g[i];
      }
      compare(name, fd, analytic, zeroAllowed.contains(name), failures);
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** Upper bound on the rows a table's gradient may name: the distinct ids the step looked up. */
  private static int expectedTouchedRows(ModelSpec spec, String table, TestLosses.Capturing columns, Batch batch) {
    TreeSet<Integer> ids = new TreeSet<>();
    switch (table) {
      case TwoTowerModel.ITEM_EMBEDDING:
        for (int i : columns.columnItem) {
          ids.add(i);
        }
        break;
      case TwoTowerModel.USER_EMBEDDING:
        for (int b = 0; b < batch.size; b++) {
          ids.add(batch.users[b]);
        }
        break;
      default:
        for (int b = 0; b < batch.size * spec.userTower().window(); b++) {
          if (batch.history[b] >= 0) {
            ids.add(batch.history[b]);
          }
        }
    }
    return ids.size();
  }

  private static double centralDifference(ReferenceTwoTower reference, ReferenceTwoTower.Values values, Batch batch,
                                          TestLosses.Capturing columns, String name, int row, int col) {
    double plus = reference.loss(ReferenceTwoTower.perturbed(values, name, row, col, H), batch, columns);
    double minus = reference.loss(ReferenceTwoTower.perturbed(values, name, row, col, -H), batch, columns);
    return (plus - minus) / (2 * H);
  }

  /** Element-wise: |analytic - fd| <= 2e-3 |fd| + 2e-4 max|fd| + 1e-6. */
  private static void compare(String name, double[] fd, double[] analytic, boolean zeroAllowed,
                              List<String> failures) {
    double scale = 0.0;
    for (double v : fd) {
      scale = Math.max(scale, Math.abs(v));
    }
    if (scale < 1e-6 && !zeroAllowed) {
      failures.add(name + ": finite-difference gradient is all zero; the check would prove nothing");
      return;
    }
    if (zeroAllowed && scale >= 1e-6) {
      failures.add(name + ": expected an identically zero gradient, finite differences reach " + scale);
    }
    for (int i = 0; i < fd.length; i++) {
      double tolerance = 2e-3 * Math.abs(fd[i]) + 2e-4 * scale + 1e-6;
      if (Math.abs(analytic[i] - fd[i]) > tolerance) {
        failures.add(String.format("%s[%d]: analytic %.8g, finite difference %.8g", name, i, analytic[i], fd[i]));
      }
    }
  }
}
