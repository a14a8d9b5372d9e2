package dev.logq.job.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

import dev.logq.common.data.Interactions;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * The user's history, built by one piece of Spark code for training, evaluation and export: the user's
 * previous L training items by time (ties in time broken by item index), oldest first. Training rows get
 * the items before them ({@link #beforeEachRow}); a user embedded for evaluation or export gets the items
 * before a query placed after all of that user's training rows ({@link #latest}), i.e. their last L.
 * A sequence tower's training windows are cut from the user's whole training sequence in the same order
 * ({@link #sequences}, {@link #windows}): the last slot of the last window is the user's last training
 * item but one, so the embedded input ({@link #latest}) continues exactly where training stopped.
 */
public final class UserHistory {

  /** The history column: array of item indices, oldest first, at most L of them. */
  public static final String HISTORY = "history";

  /** The sequence column: array of the user's training item indices by (ts, item_idx), oldest first. */
  public static final String SEQUENCE = "sequence";

  private static final String IS_QUERY = "_history_query";

  private UserHistory() {}

  /** The one window: the L rows of the same user before this one, by (ts, item_idx). */
  private static WindowSpec previous(int length) {
    return Window.partitionBy(col(Interactions.USER_INDEX)).orderBy(col(Interactions.TIME), col(Interactions.ITEM_INDEX))
        .rowsBetween(-length, -1);
  }

  /** {@code rows} (user_idx, item_idx, ts, ...) plus {@value #HISTORY}: the user's previous L items in {@code rows}. */
  public static Dataset<Row> beforeEachRow(Dataset<Row> rows, int length) {
    return rows.withColumn(HISTORY, collect_list(col(Interactions.ITEM_INDEX)).over(previous(length)));
  }

  /**
   * For every user of {@code users} (one int column user_idx): user_idx and {@value #HISTORY}, their last L
   * items of {@code train} (user_idx int, item_idx int, ts long); empty for a user without training rows.
   * The query row sorts after every training row of its user (largest time, then an item index above any).
   */
  public static Dataset<Row> latest(Dataset<Row> train, Dataset<Row> users, int length) {
    Dataset<Row> rows = train.select(col(Interactions.USER_INDEX), col(Interactions.ITEM_INDEX), col(Interactions.TIME),
        lit(false).as(IS_QUERY));
    Dataset<Row> queries = users.select(col(Interactions.USER_INDEX), lit(Integer.MAX_VALUE).as(Interactions.ITEM_INDEX),
        lit(Long.MAX_VALUE).as(Interactions.TIME), lit(true).as(IS_QUERY));
    return beforeEachRow(rows.unionByName(queries), length)
        .filter(col(IS_QUERY))
        .select(col(Interactions.USER_INDEX), col(HISTORY));
  }

  /**
   * For every user of {@code train} (user_idx int, item_idx int, ts long): user_idx and {@value #SEQUENCE},
   * all their training items ordered by (ts, item_idx) as {@link #beforeEachRow} orders them.
   */
  public static Dataset<Row> sequences(Dataset<Row> train) {
    return train.groupBy(col(Interactions.USER_INDEX))
        .agg(sort_array(collect_list(struct(col(Interactions.TIME), col(Interactions.ITEM_INDEX)))).as("_events"))
        .select(col(Interactions.USER_INDEX), expr("transform(_events, e -> e." + Interactions.ITEM_INDEX + ")")
            .as(SEQUENCE));
  }

  /** One training window of a sequence: L inputs (-1 front padding) and each slot's next item (-1 none). */
  public record SequenceWindow(int end, int[] inputs, int[] targets) {}

  /**
   * The training windows of one user's sequence {@code seq} (oldest first): a window ending at transition e
   * (input seq[e], target seq[e + 1]) holds the inputs seq[e - L + 1 .. e] (front-padded with -1) and their
   * next items. Windows end at e = n - 2 (the last transition) and every {@code stride} transitions before it
   * while e >= 0; stride L tiles the sequence so that every transition is trained exactly once. Newest first.
   */
  public static List<SequenceWindow> windows(List<Integer> seq, int length, int stride) {
    if (length < 1 || stride < 1) {
      throw new IllegalArgumentException("windows need length >= 1 and stride >= 1, got " + length + ", " + stride);
    }
    int n = seq.size();
    List<SequenceWindow> out = new java.util.ArrayList<>();
    for (int e = n - 2; e >= 0; e -= stride) {
      int[] inputs = new int[length];
      int[] targets = new int[length];
      for (int t = 0; t < length; t++) {
        int at = e - length + 1 + t;
        inputs[t] = at >= 0 ? seq.get(at) : -1;
        targets[t] = at >= 0 ? seq.get(at + 1) : -1;
      }
      out.add(new SequenceWindow(e, inputs, targets));
    }
    return out;
  }

  /**
   * Writes a history (at most {@code length} items, oldest first) to {@code dst[offset, offset + length)},
   * left-padded with -1 so the most recent item is last.
   */
  public static void fill(List<?> items, int[] dst, int offset, int length) {
    int pad = length - items.size();
    for (int i = 0; i < pad; i++) {
      dst[offset + i] = -1;
    }
    for (int i = 0; i < items.size(); i++) {
      dst[offset + pad + i] = (Integer) items.get(i);
    }
  }
}
