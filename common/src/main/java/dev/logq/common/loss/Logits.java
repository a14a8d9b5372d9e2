package dev.logq.common.loss;

/**
 * The logits of one local batch and everything a loss needs to know about them.
 *
 * <p>B query rows are scored against candidate columns: {@code scores[b * cols + j] = <f(u_b), g(c_j)> / tau}.
 * Two layouts exist:
 * <ul>
 *   <li>{@link Layout#SHARED}: every row sees the same {@code cols} columns (in-batch negatives, optional
 *       uniform extra negatives, or the whole catalog). {@code columnItem} has length {@code cols}.
 *       Columns {@code [0, inBatchColumns)} are the batch's positives (drawn from Q); columns
 *       {@code [inBatchColumns, cols)} are extra negatives drawn uniformly from the catalog.</li>
 *   <li>{@link Layout#PER_ROW}: row b has its own {@code cols} candidates; column 0 is its positive and
 *       columns 1..cols-1 are its uniform negatives. {@code columnItem} has length {@code rows * cols}.</li>
 * </ul>
 * A column whose item equals the row's positive item, other than the positive column itself, is an
 * accidental hit: losses mask it (its logit is treated as -inf).
 *
 * <p><b>Column counts.</b> In-batch positives repeat under a skewed Q (at B = 1024 and Zipf(1) popularity
 * about half the columns name an item that another column already names). Two columns naming one item have
 * identical logits in every row, so the model may list each in-batch item once and say how many of the
 * batch's positives name it: {@code columnCount[j]}. A loss then counts column j's negative term
 * {@code columnCount[j]} times (and its gradient is the sum of the copies' gradients). The positive's own
 * term counts once: the other copies of its item are accidental hits. This is the same loss, computed on
 * fewer columns; {@code null} means every column counts once. Counts are only allowed when every column is
 * an in-batch column (no uniform extra negatives).
 */
public final class Logits {

  /** How columns are shared between rows. */
  public enum Layout { SHARED, PER_ROW }

  public final Layout layout;
  public final int rows;
  public final int cols;
  /** Row-major rows x cols, already divided by the temperature. */
  public final float[] scores;
  /** For each row, the column that holds its positive. Always 0 in the PER_ROW layout. */
  public final int[] positiveColumn;
  /** Dense item index of each column (SHARED: length cols; PER_ROW: length rows * cols). */
  public final int[] columnItem;
  /** SHARED layout: columns [0, inBatchColumns) are in-batch draws from Q, the rest uniform draws. */
  public final int inBatchColumns;
  /** log Q(item) for every item index that can appear in columnItem, in double (see LOSSES.md). */
  public final double[] itemLogQ;
  /** Number of items in the catalog (the support of the uniform proposal). */
  public final int catalogSize;
  /** How many in-batch draws column j stands for (SHARED, in-batch columns only), or null: once each. */
  public final int[] columnCount;

  public Logits(Layout layout, int rows, int cols, float[] scores, int[] positiveColumn, int[] columnItem,
                int inBatchColumns, double[] itemLogQ, int catalogSize) {
    this(layout, rows, cols, scores, positiveColumn, columnItem, inBatchColumns, itemLogQ, catalogSize, null);
  }

  /** As above, with column counts (see the class comment); {@code columnCount} may be null. */
  public Logits(Layout layout, int rows, int cols, float[] scores, int[] positiveColumn, int[] columnItem,
                int inBatchColumns, double[] itemLogQ, int catalogSize, int[] columnCount) {
    if (scores.length < (long) rows * cols) {
      throw new IllegalArgumentException("scores has " + scores.length + " entries, need " + rows * cols);
    }
    if (positiveColumn.length < rows) {
      throw new IllegalArgumentException("positiveColumn has " + positiveColumn.length + " entries, need " + rows);
    }
    int expectedItems = layout == Layout.SHARED ? cols : rows * cols;
    if (columnItem.length < expectedItems) {
      throw new IllegalArgumentException("columnItem has " + columnItem.length + " entries, need " + expectedItems);
    }
    if (inBatchColumns < 0 || inBatchColumns > cols) {
      throw new IllegalArgumentException("inBatchColumns " + inBatchColumns + " outside [0, " + cols + "]");
    }
    if (columnCount != null) {
      if (layout != Layout.SHARED || inBatchColumns != cols) {
        throw new IllegalArgumentException("column counts need the SHARED layout with only in-batch columns, got "
            + layout + " with " + inBatchColumns + " in-batch of " + cols + " columns");
      }
      if (columnCount.length < cols) {
        throw new IllegalArgumentException("columnCount has " + columnCount.length + " entries, need " + cols);
      }
      for (int j = 0; j < cols; j++) {
        if (columnCount[j] < 1) {
          throw new IllegalArgumentException("columnCount[" + j + "] = " + columnCount[j] + ", must be >= 1");
        }
      }
    }
    this.layout = layout;
    this.rows = rows;
    this.cols = cols;
    this.scores = scores;
    this.positiveColumn = positiveColumn;
    this.columnItem = columnItem;
    this.inBatchColumns = inBatchColumns;
    this.itemLogQ = itemLogQ;
    this.catalogSize = catalogSize;
    this.columnCount = columnCount;
  }

  /** How many in-batch draws column j stands for (1 without column counts). */
  public int count(int j) {
    return columnCount == null ? 1 : columnCount[j];
  }

  /** Item index of column j as seen by row b. */
  public int item(int b, int j) {
    return layout == Layout.SHARED ? columnItem[j] : columnItem[b * cols + j];
  }

  /** Item index of row b's positive. */
  public int positiveItem(int b) {
    return item(b, positiveColumn[b]);
  }

  /** True when column j of row b names the row's positive item but is not its positive column. */
  public boolean isAccidentalHit(int b, int j) {
    return j != positiveColumn[b] && item(b, j) == positiveItem(b);
  }
}
