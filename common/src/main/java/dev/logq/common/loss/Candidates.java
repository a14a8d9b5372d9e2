package dev.logq.common.loss;

import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Which items a batch's rows are scored against: the candidate columns of {@link Logits}. A loss owns
 * this choice ({@link Loss#candidates}); the model asks it and scores whatever it returns, so no code
 * compares loss names. Four strategies exist:
 *
 * <ul>
 *   <li>{@link #inBatch()}: SHARED, one column per distinct positive item of the batch, in order of first
 *       appearance, with {@link Logits#columnCount} saying how many rows name it; row b's positive column is
 *       its item's column (the same loss on fewer columns, Logits "Column counts": under Zipf-like
 *       popularity this halves the step's products and exps at B = 1024).</li>
 *   <li>{@link #inBatchPlusUniform(int)}: SHARED, columns 0..n-1 are the batch's positives (row b's positive
 *       is column b), then {@code extra} items drawn uniformly from the catalog; {@code inBatchColumns = n}.</li>
 *   <li>{@link #fullCatalog()}: SHARED, the whole catalog, column i = item i, row b's positive column is its
 *       item; {@code inBatchColumns = 0}.</li>
 *   <li>{@link #perRowUniform(int)}: PER_ROW, row b has 1 + negatives columns: its positive, then its own
 *       uniform draws; {@code inBatchColumns = 0}.</li>
 * </ul>
 * Uniform draws are {@code rng.nextInt(numItems)}, row by row, column by column.
 *
 * <p><b>Global-batch negatives</b> (loss.negatives = global, {@link #chooseInRound}): {@link #inBatch()} can
 * also take its columns from the whole round, the positives of every worker's batch of the step: the distinct
 * items of that concatenation with their counts over it, exactly the columns one worker would choose for the
 * concatenated batch, of which this worker scores only its own rows. The other kinds have no such variant.
 */
public abstract class Candidates implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The chosen columns of one batch. */
  public record Columns(Logits.Layout layout, int cols, int[] columnItem, int[] positiveColumn, int[] columnCount,
                        int inBatchColumns) {}

  private Candidates() {}

  /** The columns for the batch's positives {@code items[0..n)}; {@code rng} may be null when no draw is made. */
  public abstract Columns choose(int[] items, int n, int numItems, SplittableRandom rng);

  /**
   * The columns for rows {@code [offset, offset + n)} of a round whose positives (every worker's, in worker
   * order) are {@code roundItems}: {@link #inBatch()} only; the other kinds fail, naming themselves.
   */
  public Columns chooseInRound(int[] roundItems, int offset, int n, int numItems, SplittableRandom rng) {
    throw new IllegalArgumentException(kind() + " candidates cannot take their negatives from the global batch"
        + " (loss.negatives = global needs the in-batch columns alone)");
  }

  /** A name for messages. */
  abstract String kind();

  /** True when a row's negatives include the batch's other positives (a batch then needs two rows or a draw). */
  public boolean isInBatch() {
    return false;
  }

  /** True when the columns are the whole catalog (cost grows with the catalog: small catalogs only). */
  public boolean isFullCatalog() {
    return false;
  }

  public static Candidates inBatch() {
    return new InBatch();
  }

  /** In-batch columns plus {@code extra} uniform ones; {@code extra = 0} is {@link #inBatch()}. */
  public static Candidates inBatchPlusUniform(int extra) {
    return extra == 0 ? inBatch() : new InBatchPlusUniform(extra);
  }

  public static Candidates fullCatalog() {
    return new FullCatalog();
  }

  public static Candidates perRowUniform(int negatives) {
    return new PerRowUniform(negatives);
  }

  private static void requireRng(int draws, SplittableRandom rng) {
    if (draws > 0 && rng == null) {
      throw new IllegalArgumentException("uniformNegatives = " + draws + " needs a random generator (got null)");
    }
  }

  private static final class InBatch extends Candidates {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isInBatch() {
      return true;
    }

    @Override
    String kind() {
      return "in-batch";
    }

    @Override
    public Columns choose(int[] items, int n, int numItems, SplittableRandom rng) {
      return columnsOf(items, n, 0, n);
    }

    @Override
    public Columns chooseInRound(int[] roundItems, int offset, int n, int numItems, SplittableRandom rng) {
      return columnsOf(roundItems, roundItems.length, offset, n);
    }

    /** The distinct items of {@code items[0, total)}, counted over all of it, for the rows [offset, offset + n). */
    private static Columns columnsOf(int[] items, int total, int offset, int n) {
      if (offset < 0 || offset + n > total) {
        throw new IllegalArgumentException("rows [" + offset + ", " + (offset + n) + ") outside a round of "
            + total + " items");
      }
      int[] roundColumn = new int[total];
      int[] count = new int[total];
      int[] columnItem = distinctItems(items, total, roundColumn, count);
      int cols = columnItem.length;
      int[] positiveColumn = offset == 0 && n == total ? roundColumn : Arrays.copyOfRange(roundColumn, offset,
          offset + n);
      return new Columns(Logits.Layout.SHARED, cols, columnItem, positiveColumn, Arrays.copyOf(count, cols), cols);
    }
  }

  private static final class InBatchPlusUniform extends Candidates {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isInBatch() {
      return true;
    }
    private final int extra;

    InBatchPlusUniform(int extra) {
      this.extra = extra;
    }

    @Override
    String kind() {
      return "in-batch plus " + extra + " uniform";
    }

    @Override
    public Columns choose(int[] items, int n, int numItems, SplittableRandom rng) {
      requireRng(extra, rng);
      int cols = n + extra;
      int[] columnItem = new int[cols];
      System.arraycopy(items, 0, columnItem, 0, n);
      for (int j = n; j < cols; j++) {
        columnItem[j] = rng.nextInt(numItems);
      }
      int[] positiveColumn = new int[n];
      for (int b = 0; b < n; b++) {
        positiveColumn[b] = b;
      }
      return new Columns(Logits.Layout.SHARED, cols, columnItem, positiveColumn, null, n);
    }
  }

  private static final class FullCatalog extends Candidates {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isFullCatalog() {
      return true;
    }

    @Override
    String kind() {
      return "full-catalog";
    }

    @Override
    public Columns choose(int[] items, int n, int numItems, SplittableRandom rng) {
      int[] columnItem = new int[numItems];
      for (int i = 0; i < numItems; i++) {
        columnItem[i] = i;
      }
      return new Columns(Logits.Layout.SHARED, numItems, columnItem, Arrays.copyOf(items, n), null, 0);
    }
  }

  private static final class PerRowUniform extends Candidates {
    private static final long serialVersionUID = 1L;
    private final int negatives;

    PerRowUniform(int negatives) {
      this.negatives = negatives;
    }

    @Override
    String kind() {
      return "per-row uniform";
    }

    @Override
    public Columns choose(int[] items, int n, int numItems, SplittableRandom rng) {
      requireRng(negatives, rng);
      int cols = 1 + negatives;
      int[] columnItem = new int[n * cols];
      for (int b = 0; b < n; b++) {
        columnItem[b * cols] = items[b];
        for (int j = 1; j < cols; j++) {
          columnItem[b * cols + j] = rng.nextInt(numItems);
        }
      }
      return new Columns(Logits.Layout.PER_ROW, cols, columnItem, new int[n], null, 0);
    }
  }

  /**
   * The distinct items of {@code items[0..n)} in order of first appearance; {@code positiveColumn[b]} becomes
   * the position of items[b] among them and {@code count[c]} the number of rows naming distinct item c.
   */
  public static int[] distinctItems(int[] items, int n, int[] positiveColumn, int[] count) {
    int capacity = Integer.highestOneBit(Math.max(2, n) * 2 - 1) << 1;
    int mask = capacity - 1;
    int[] keys = new int[capacity];
    int[] slots = new int[capacity];
    Arrays.fill(keys, -1);
    int[] distinct = new int[n];
    int m = 0;
    for (int b = 0; b < n; b++) {
      int item = items[b];
      int h = (item * 0x9E3779B9) >>> 7 & mask;
      while (keys[h] != -1 && keys[h] != item) {
        h = (h + 1) & mask;
      }
      if (keys[h] == -1) {
        keys[h] = item;
        slots[h] = m;
        distinct[m++] = item;
      }
      int column = slots[h];
      positiveColumn[b] = column;
      count[column]++;
    }
    return Arrays.copyOf(distinct, m);
  }
}
