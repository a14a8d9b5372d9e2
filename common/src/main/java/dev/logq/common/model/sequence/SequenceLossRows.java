package dev.logq.common.model.sequence;

import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;

/**
 * The training rows of a batch of sequences: every position that holds an item and has a next item (its
 * target) is one query row, in position order. The rows' positives become the SHARED layout's columns the way
 * the two-tower step lists them: one column per distinct target, in order of first appearance, with
 * {@link Logits#columnCount} saying how many rows name it (other rows' copies of a row's own target are
 * accidental hits, masked by the losses; logQ is taken per row's positive). A position whose slot is padding is
 * never a row, whatever its target says (its hidden state is 0 by definition).
 */
public final class SequenceLossRows {

  /** Number of query rows. */
  public final int rows;
  /** Row i is position {@code position[i]} of the [B*L] batch. */
  public final int[] position;
  /** Row i's positive (target) item. */
  public final int[] positive;
  /** Distinct targets, in order of first appearance. */
  public final int[] columnItem;
  /** How many rows name each column's item. */
  public final int[] columnCount;
  /** Row i's positive column. */
  public final int[] positiveColumn;

  private SequenceLossRows(int rows, int[] position, int[] positive, int[] columnItem, int[] columnCount,
                           int[] positiveColumn) {
    this.rows = rows;
    this.position = position;
    this.positive = positive;
    this.columnItem = columnItem;
    this.columnCount = columnCount;
    this.positiveColumn = positiveColumn;
  }

  /**
   * The rows of a batch of {@code m} = B*L positions: {@code items} are the encoder's inputs (-1 padding) and
   * {@code targets[r]} the item that follows position r (-1: none).
   */
  public static SequenceLossRows of(int[] items, int[] targets, int m) {
    if (items.length < m || targets.length < m) {
      throw new IllegalArgumentException("items and targets need " + m + " entries, have " + items.length + " and "
          + targets.length);
    }
    int n = 0;
    for (int r = 0; r < m; r++) {
      if (items[r] >= 0 && targets[r] >= 0) {
        n++;
      } else if (targets[r] < -1) {
        throw new IllegalArgumentException("position " + r + " has target " + targets[r] + " (-1 means none)");
      }
    }
    int[] position = new int[n];
    int[] positive = new int[n];
    int i = 0;
    for (int r = 0; r < m; r++) {
      if (items[r] >= 0 && targets[r] >= 0) {
        position[i] = r;
        positive[i] = targets[r];
        i++;
      }
    }
    // Distinct targets in order of first appearance (open addressing).
    int capacity = Integer.highestOneBit(Math.max(2, n) * 2 - 1) << 1;
    int mask = capacity - 1;
    int[] keys = new int[capacity];
    int[] slots = new int[capacity];
    java.util.Arrays.fill(keys, -1);
    int[] distinct = new int[n];
    int[] count = new int[n];
    int[] positiveColumn = new int[n];
    int c = 0;
    for (int b = 0; b < n; b++) {
      int item = positive[b];
      int h = (item * 0x9E3779B9) >>> 7 & mask;
      while (keys[h] != -1 && keys[h] != item) {
        h = (h + 1) & mask;
      }
      if (keys[h] == -1) {
        keys[h] = item;
        slots[h] = c;
        distinct[c++] = item;
      }
      positiveColumn[b] = slots[h];
      count[slots[h]]++;
    }
    return new SequenceLossRows(n, position, positive, java.util.Arrays.copyOf(distinct, c),
        java.util.Arrays.copyOf(count, c), positiveColumn);
  }

  public int cols() {
    return columnItem.length;
  }

  /** The rows' hidden states times {@code scale}: [rows x d] out of hidden [B*L x d]. */
  public float[] gatherQueries(float[] hidden, int d, float scale) {
    float[] q = new float[rows * d];
    for (int i = 0; i < rows; i++) {
      int src = position[i] * d;
      for (int k = 0; k < d; k++) {
        q[i * d + k] = hidden[src + k] * scale;
      }
    }
    return q;
  }

  /** dHidden[position[i]] += scale * dQuery[i] for every row (dHidden is [B*L x d]). */
  public void scatter(float[] dQuery, int d, float scale, float[] dHidden) {
    for (int i = 0; i < rows; i++) {
      int dst = position[i] * d;
      for (int k = 0; k < d; k++) {
        dHidden[dst + k] += scale * dQuery[i * d + k];
      }
    }
  }

  /** The SHARED logits over these rows and columns; {@code scores} is [rows x cols], already / tau. */
  public Logits logits(float[] scores, double[] itemLogQ, int catalogSize) {
    for (int i = 0; i < rows; i++) {
      if (positive[i] >= catalogSize) {
        throw new IllegalArgumentException("row " + i + " (position " + position[i] + ") has target " + positive[i]
            + ", outside the catalog [0, " + catalogSize + ")");
      }
    }
    return new Logits(Logits.Layout.SHARED, rows, cols(), scores, positiveColumn, columnItem, cols(), itemLogQ,
        catalogSize, columnCount);
  }

  /**
   * The in-batch step on these rows: scores = (hidden rows / tau) V^T with V [cols x d] the item tower's vectors
   * of {@link #columnItem}; the loss's mean over the rows is returned, dLoss/dHidden is added to {@code dHidden}
   * [B*L x d] and dLoss/dV to {@code dColumns} [cols x d]. The loss must use the SHARED layout. The products go
   * through the same GEMM backend as the encoder's default ({@link Gemm#defaultKind}; docs/decisions.md,
   * "Sequential tower: kernels").
   */
  public double lossAndGradient(float[] hidden, float[] columnVectors, int d, float inverseTemperature, Loss loss,
                                double[] itemLogQ, int catalogSize, float[] dHidden, float[] dColumns) {
    return lossAndGradient(hidden, columnVectors, d, inverseTemperature, loss, itemLogQ, catalogSize, dHidden,
        dColumns, Gemm.defaultKind());
  }

  double lossAndGradient(float[] hidden, float[] columnVectors, int d, float inverseTemperature, Loss loss,
                         double[] itemLogQ, int catalogSize, float[] dHidden, float[] dColumns, Gemm.Kind kind) {
    Gemm gemm = Gemm.create(kind);
    if (loss.layout() != Logits.Layout.SHARED) {
      throw new IllegalArgumentException("loss '" + loss.name() + "' uses the " + loss.layout()
          + " layout; sequence rows give SHARED in-batch columns");
    }
    int cols = cols();
    float[] u = gatherQueries(hidden, d, inverseTemperature);
    float[] scores = new float[rows * cols];
    gemm.abT(u, 0, columnVectors, 0, scores, 0, rows, cols, d);
    float[] gradScores = new float[rows * cols];
    double value = loss.lossAndGradient(logits(scores, itemLogQ, catalogSize), gradScores);
    float[] dU = new float[rows * d];
    gemm.abAdd(gradScores, 0, columnVectors, 0, dU, 0, rows, d, cols);
    gemm.aTbAdd(gradScores, 0, u, 0, dColumns, 0, rows, d, cols);
    scatter(dU, d, inverseTemperature, dHidden);
    return value;
  }
}
