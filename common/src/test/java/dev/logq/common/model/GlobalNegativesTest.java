package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Candidates;
import dev.logq.common.loss.Loss;
import dev.logq.common.loss.Losses;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.SequenceTower;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Global-batch negatives (issue 14 item 3, loss.negatives = global): a worker's batch that knows its round
 * ({@link Batch#inRound}) is scored against exactly the columns one worker would choose for the concatenated
 * batch, so every row's scores are the concatenated batch's bit for bit; the workers' summed losses and
 * gradients are the concatenated batch's (within float rounding of the summation order), the gradient rows of
 * other workers' items (remote columns) included, and they agree with central finite differences of the summed
 * loss.
 */
class GlobalNegativesTest {

  private static final int NUM_USERS = 12;
  private static final int NUM_ITEMS = 16;
  private static final int L = 3;
  /**
   * Three workers' batches (5, 4 and 6 rows). Item 2 is a positive on workers 0 and 1 (an accidental hit across
   * workers), item 9 only on worker 1, items 12 and 13 only on worker 2: remote columns for worker 0.
   */
  private static final int[][] ITEMS = {{2, 5, 5, 7, 0}, {9, 2, 4, 1}, {12, 13, 5, 3, 0, 12}};
  private static final int[][] USERS = {{0, 1, 2, 3, 4}, {5, 6, 7, 1}, {8, 9, 10, 11, 0, 3}};

  /** A Zipf-like log Q over the catalog (a constant: the finite differences call the model hundreds of times). */
  private static final double[] LOG_Q = zipfLogQ();

  private static ModelSpec idSpec() {
    return ModelSpec.builder().numUsers(NUM_USERS).numItems(NUM_ITEMS).embeddingDim(6).outputDim(4).itemMlp(5).userMlp(7)
        .l2Normalize(true).temperature(0.2).initStd(0.5).seed(11).build();
  }

  private static ModelSpec historySpec() {
    return ModelSpec.builder().numUsers(NUM_USERS).numItems(NUM_ITEMS).embeddingDim(5).outputDim(5)
        .userTower(new HistoryTower(L, HistoryPooling.MEAN)).l2Normalize(false).temperature(0.5).initStd(0.5)
        .seed(12).build();
  }

  private static Batch workerBatch(ModelSpec spec, int w) {
    int n = ITEMS[w].length;
    if (spec.userTower() instanceof HistoryTower) {
      return Batch.ofHistory(n, history(w, 0, n), ITEMS[w].clone());
    }
    return Batch.ofUsers(n, USERS[w].clone(), ITEMS[w].clone());
  }

  /** A deterministic history per row: items derived from the user, -1 padding in front for some rows. */
  private static int[] history(int w, int from, int n) {
    int[] h = new int[n * L];
    for (int b = 0; b < n; b++) {
      int u = USERS[w][from + b];
      for (int l = 0; l < L; l++) {
        h[b * L + l] = l < u % 2 ? -1 : (u * 5 + l * 3) % NUM_ITEMS;
      }
    }
    return h;
  }

  private static int[] roundItems() {
    return Arrays.stream(ITEMS).flatMapToInt(Arrays::stream).toArray();
  }

  private static int offset(int w) {
    int off = 0;
    for (int i = 0; i < w; i++) {
      off += ITEMS[i].length;
    }
    return off;
  }

  /** The three workers' batches as one. */
  private static Batch concatenated(ModelSpec spec) {
    int[] items = roundItems();
    int[] users = Arrays.stream(USERS).flatMapToInt(Arrays::stream).toArray();
    if (spec.userTower() instanceof HistoryTower) {
      int[] h = new int[items.length * L];
      for (int w = 0, off = 0; w < ITEMS.length; off += ITEMS[w].length, w++) {
        System.arraycopy(history(w, 0, ITEMS[w].length), 0, h, off * L, ITEMS[w].length * L);
      }
      return Batch.ofHistory(items.length, h, items);
    }
    return Batch.ofUsers(items.length, users, items);
  }

  @Test
  void aWorkersColumnsAreTheConcatenatedBatchsAndItsPositiveColumnsItsSlice() {
    int[] all = roundItems();
    Candidates.Columns whole = Candidates.inBatch().choose(all, all.length, NUM_ITEMS, null);
    // distinct in order of first appearance, counted over every worker's rows
    assertArrayEquals(new int[] {2, 5, 7, 0, 9, 4, 1, 12, 13, 3}, whole.columnItem());
    assertArrayEquals(new int[] {2, 3, 1, 2, 1, 1, 1, 2, 1, 1}, whole.columnCount());
    for (int w = 0; w < ITEMS.length; w++) {
      Candidates.Columns mine = Candidates.inBatch().chooseInRound(all, offset(w), ITEMS[w].length, NUM_ITEMS, null);
      assertArrayEquals(whole.columnItem(), mine.columnItem());
      assertArrayEquals(whole.columnCount(), mine.columnCount());
      assertEquals(whole.cols(), mine.inBatchColumns());
      assertArrayEquals(Arrays.copyOfRange(whole.positiveColumn(), offset(w), offset(w) + ITEMS[w].length),
          mine.positiveColumn());
    }
    // a local batch in a longer buffer: only its first n items count
    int[] buffer = {4, 4, 6, 99, 99};
    Candidates.Columns local = Candidates.inBatch().choose(buffer, 3, NUM_ITEMS, null);
    assertArrayEquals(new int[] {4, 6}, local.columnItem());
    assertArrayEquals(new int[] {2, 1}, local.columnCount());
  }

  @Test
  void rowsScoreTheConcatenatedBatchsColumnsBitForBitAndTheSumsAgree() {
    for (ModelSpec spec : List.of(idSpec(), historySpec())) {
      for (String lossName : List.of("none", "standard", "refined")) {
        check(spec, Losses.byName(lossName, true), spec + " " + lossName);
      }
    }
  }

  private static void check(ModelSpec spec, Loss loss, String what) {
    TensorStore params = TwoTowerModel.initialParameters(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    Batch whole = concatenated(spec);
    int total = whole.size;
    TestLosses.Capturing wholeLogits = new TestLosses.Capturing(loss);
    TensorPatch wholeGrad = new TensorPatch();
    double wholeLoss = model.lossAndGradient(params, whole, wholeLogits, LOG_Q, 0, new SplittableRandom(1), wholeGrad);
    wholeGrad.scale(total);

    double summedLoss = 0;
    TensorPatch summedGrad = null;
    for (int w = 0; w < ITEMS.length; w++) {
      Batch mine = workerBatch(spec, w).inRound(roundItems(), offset(w));
      TestLosses.Capturing logits = new TestLosses.Capturing(loss);
      TensorPatch grad = new TensorPatch();
      double meanLoss = model.lossAndGradient(params, mine, logits, LOG_Q, 0, new SplittableRandom(1), grad);
      // the same columns, and every row's scores the concatenated batch's row, bit for bit
      assertArrayEquals(wholeLogits.columnItem, logits.columnItem, what);
      assertArrayEquals(wholeLogits.columnCount, logits.columnCount, what);
      int cols = logits.cols;
      for (int b = 0; b < mine.size; b++) {
        int row = offset(w) + b;
        assertArrayEquals(Arrays.copyOfRange(wholeLogits.scores, row * cols, (row + 1) * cols),
            Arrays.copyOfRange(logits.scores, b * cols, (b + 1) * cols), what + " worker " + w + " row " + b);
        assertEquals(wholeLogits.positiveColumn[row], logits.positiveColumn[b], what);
      }
      summedLoss += meanLoss * mine.size;
      grad.scale(mine.size);
      summedGrad = summedGrad == null ? grad.copy() : summedGrad.addScaled(grad, 1f);
      if (w == 0) {
        // worker 0's gradient reaches the items of the other workers' batches: the remote columns' rows
        // (an item MLP's dead ReLU units may zero one row, not all of them)
        double remoteNorm = 0;
        for (int remote : new int[] {9, 12, 13}) {
          double norm = rowNorm(grad, TwoTowerModel.ITEM_EMBEDDING, remote);
          assertTrue(norm >= 0, what + ": no gradient row for remote item " + remote);
          remoteNorm += norm;
        }
        assertTrue(remoteNorm > 1e-6, what + ": remote items' gradient " + remoteNorm);
      }
    }
    assertEquals(wholeLoss * total, summedLoss, 1e-5 * Math.abs(wholeLoss * total), what);
    assertClose(flatten(wholeGrad), flatten(summedGrad), 2e-5, what);
  }

  /**
   * The sequence tower: a worker's loss rows are its windows' positions, its round the positions' targets of every
   * worker's windows; the concatenated batch is all windows in worker order. Every position's scores equal the
   * concatenated batch's bit for bit, the sums to float rounding.
   */
  @Test
  void sequenceWindowsScoreTheConcatenatedWindowsColumns() {
    int length = 4;
    ModelSpec spec = ModelSpec.builder().numUsers(1).numItems(NUM_ITEMS).embeddingDim(8).outputDim(8)
        .userTower(new SequenceTower(length, 1, 2, 8, 0.0, true, 0)).l2Normalize(true)
        .temperature(0.2).initStd(0.3).seed(13).build();
    int[] windows = {2, 1, 2};
    java.util.Random random = new java.util.Random(5);
    int[][] seq = new int[3][];
    int[][] targets = new int[3][];
    for (int w = 0; w < 3; w++) {
      seq[w] = new int[windows[w] * length];
      targets[w] = new int[windows[w] * length];
      for (int i = 0; i < seq[w].length; i++) {
        boolean pad = i % length == 0 && random.nextBoolean();
        seq[w][i] = pad ? -1 : random.nextInt(NUM_ITEMS);
        targets[w][i] = pad || (i % length == length - 1 && w == 1) ? -1 : random.nextInt(NUM_ITEMS);
      }
    }
    Batch[] mine = new Batch[3];
    java.util.List<int[]> positives = new java.util.ArrayList<>();
    for (int w = 0; w < 3; w++) {
      mine[w] = Batch.ofSequences(windows[w], length, seq[w], targets[w]);
      positives.add(mine[w].positiveItems());
    }
    int[] round = positives.stream().flatMapToInt(Arrays::stream).toArray();
    Batch whole = Batch.ofSequences(5, length, concat(seq), concat(targets));
    assertArrayEquals(round, whole.positiveItems());
    TensorStore params = TwoTowerModel.initialParameters(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    Loss loss = Losses.byName("refined", true);
    TestLosses.Capturing wholeLogits = new TestLosses.Capturing(loss);
    TensorPatch wholeGrad = new TensorPatch();
    double wholeLoss = model.lossAndGradient(params, whole, wholeLogits, LOG_Q, 0, new SplittableRandom(1),
        wholeGrad);
    wholeGrad.scale(whole.size);
    double summed = 0;
    TensorPatch summedGrad = null;
    for (int w = 0, offset = 0; w < 3; offset += mine[w].size, w++) {
      TestLosses.Capturing logits = new TestLosses.Capturing(loss);
      TensorPatch grad = new TensorPatch();
      summed += model.lossAndGradient(params, mine[w].inRound(round, offset), logits, LOG_Q, 0,
          new SplittableRandom(1), grad) * mine[w].size;
      assertArrayEquals(wholeLogits.columnItem, logits.columnItem);
      assertArrayEquals(wholeLogits.columnCount, logits.columnCount);
      int cols = logits.cols;
      for (int b = 0; b < mine[w].size; b++) {
        float[] expected = Arrays.copyOfRange(wholeLogits.scores, (offset + b) * cols, (offset + b + 1) * cols);
        float[] actual = Arrays.copyOfRange(logits.scores, b * cols, (b + 1) * cols);
        assertArrayEquals(expected, actual, "worker " + w + " position " + b); // bit for bit
      }
      grad.scale(mine[w].size);
      summedGrad = summedGrad == null ? grad.copy() : summedGrad.addScaled(grad, 1f);
    }
    assertEquals(wholeLoss * whole.size, summed, 1e-5 * Math.abs(wholeLoss * whole.size));
    assertClose(flatten(wholeGrad), flatten(summedGrad), 2e-5, "sequence");
  }

  private static int[] concat(int[][] parts) {
    return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
  }

  @Test
  void theSummedGradientMatchesFiniteDifferencesOfTheSummedLoss() {
    ModelSpec spec = historySpec();
    // standard: refined's row weight is a stop-gradient, so its gradient is not the derivative of its value
    Loss loss = Losses.byName("standard", true);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorPatch summed = null;
    for (int w = 0; w < ITEMS.length; w++) {
      TensorPatch grad = new TensorPatch();
      Batch mine = workerBatch(spec, w).inRound(roundItems(), offset(w));
      model.lossAndGradient(params, mine, loss, LOG_Q, 0, null, grad);
      grad.scale(mine.size);
      summed = summed == null ? grad.copy() : summed.addScaled(grad, 1f);
    }
    Map<String, Double> analytic = flatten(summed);
    EmbeddingTable items = params.table(TwoTowerModel.ITEM_EMBEDDING);
    double h = 1e-2;
    int checked = 0;
    for (int item : new int[] {2, 9, 12, 13, 5, 6}) { // 6: only in histories
      for (int k = 0; k < items.dim(); k++) {
        float old = items.get(item, k);
        set(items, item, k, old + (float) h);
        double plus = summedLoss(model, params, spec, loss);
        set(items, item, k, old - (float) h);
        double minus = summedLoss(model, params, spec, loss);
        set(items, item, k, old);
        double numeric = (plus - minus) / (2 * h);
        double got = analytic.getOrDefault(TwoTowerModel.ITEM_EMBEDDING + "/" + item + "/" + k, 0.0);
        assertEquals(numeric, got, 3e-3 + 0.02 * Math.abs(numeric), "item " + item + " coordinate " + k);
        checked++;
      }
    }
    assertEquals(30, checked);
  }

  @Test
  void aBatchThatIsNotItsRoundsSliceOrAColumnKindWithoutARoundFails() {
    Batch batch = Batch.ofUsers(2, new int[] {0, 1}, new int[] {3, 4});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> batch.inRound(new int[] {3, 5, 7}, 0));
    assertTrue(e.getMessage().contains("round item 1 is 5 but batch row 1's positive is 4"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> batch.inRound(new int[] {3}, 0));
    IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
        () -> Candidates.fullCatalog().chooseInRound(new int[] {3, 4}, 0, 2, NUM_ITEMS, null));
    assertTrue(full.getMessage().contains("full-catalog candidates cannot"), full.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Candidates.inBatchPlusUniform(2).chooseInRound(new int[] {3, 4}, 0, 2, NUM_ITEMS, null));
    ModelSpec spec = idSpec();
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> new TwoTowerModel(spec).lossAndGradient(TwoTowerModel.initialParameters(spec),
            batch.inRound(new int[] {3, 4, NUM_ITEMS}, 0), Losses.byName("standard", true), LOG_Q, 0, null,
            new TensorPatch()));
    assertTrue(outside.getMessage().contains("round item 2"), outside.getMessage());
  }

  private static double summedLoss(TwoTowerModel model, TensorStore params, ModelSpec spec, Loss loss) {
    double sum = 0;
    for (int w = 0; w < ITEMS.length; w++) {
      Batch mine = workerBatch(spec, w).inRound(roundItems(), offset(w));
      sum += model.lossAndGradient(params, mine, loss, LOG_Q, 0, null, new TensorPatch()) * mine.size;
    }
    return sum;
  }

  private static void set(EmbeddingTable table, int row, int k, float value) {
    float[] r = new float[table.dim()];
    table.readRow(row, r, 0);
    r[k] = value;
    table.writeRow(row, r, 0);
  }

  private static double[] zipfLogQ() {
    double[] q = new double[NUM_ITEMS];
    double z = 0;
    for (int i = 0; i < NUM_ITEMS; i++) {
      z += 1.0 / (i + 1);
    }
    for (int i = 0; i < NUM_ITEMS; i++) {
      q[i] = Math.log(1.0 / (i + 1) / z);
    }
    return q;
  }

  private static double rowNorm(TensorPatch patch, String table, int row) {
    SparseRows rows = patch.rows(table);
    assertNotNull(rows, table);
    for (int i = 0; i < rows.size(); i++) {
      if (rows.rowId(i) == row) {
        double s = 0;
        for (int k = 0; k < rows.dim(); k++) {
          s += rows.get(i, k) * rows.get(i, k);
        }
        return Math.sqrt(s);
      }
    }
    return -1; // not touched
  }

  /** Every value of a patch by "tensor/row/col" (tables) or "tensor/i" (dense). */
  private static Map<String, Double> flatten(TensorPatch patch) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String t : patch.tableNames()) {
      SparseRows rows = patch.rows(t);
      for (int i = 0; i < rows.size(); i++) {
        for (int k = 0; k < rows.dim(); k++) {
          out.merge(t + "/" + rows.rowId(i) + "/" + k, (double) rows.get(i, k), Double::sum);
        }
      }
    }
    for (String d : patch.denseNames()) {
      float[] v = patch.dense(d);
      for (int i = 0; i < v.length; i++) {
        out.put(d + "/" + i, (double) v[i]);
      }
    }
    return out;
  }

  private static void assertClose(Map<String, Double> expected, Map<String, Double> actual, double tol, String what) {
    for (Map.Entry<String, Double> e : expected.entrySet()) {
      double a = actual.getOrDefault(e.getKey(), 0.0);
      assertEquals(e.getValue(), a, tol * Math.max(1, Math.abs(e.getValue())), what + " " + e.getKey());
    }
    for (String k : actual.keySet()) {
      if (!expected.containsKey(k)) {
        assertEquals(0.0, actual.get(k), tol, what + ": unexpected " + k);
      }
    }
  }
}
