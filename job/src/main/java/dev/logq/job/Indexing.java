package dev.logq.job;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.data.Interactions;
import dev.logq.common.error.DataException;
import dev.logq.job.ingest.IdIndex;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The "index ids" step: the indexed table's columns, and the check that there is something to rank. */
final class Indexing {

  private Indexing() {}

  /** Adds user_idx and item_idx (ints) and the time column ts; rows whose ids are unknown are dropped. */
  static Dataset<Row> index(Dataset<Row> rows, IdIndex users, IdIndex items) {
    Dataset<Row> withUser = users.apply(rows, Interactions.USER, Interactions.USER_INDEX);
    Dataset<Row> both = items.apply(withUser, Interactions.ITEM, Interactions.ITEM_INDEX);
    return both.select(col(Interactions.USER_INDEX), col(Interactions.ITEM_INDEX),
        col(Interactions.TIMESTAMP).cast("long").as(Interactions.TIME), col(Interactions.WEIGHT));
  }

  /**
   * One user or one item leaves nothing to learn or rank: in-batch negatives are the other rows' items,
   * which for a single user are all that user's own positives, and a one-item catalog ranks trivially.
   *
   * @param where the input path for the message, null for the synthetic data
   */
  static void requireEnoughToRank(IdIndex users, IdIndex items, String where) {
    if (items.size() < 2) {
      throw new DataException(where, "the training data has " + describeIds(items, "item") + "; ranking needs at least"
          + " 2 distinct items (after split.minItemCount and the split)");
    }
    if (users.size() < 2) {
      throw new DataException(where, "the training data has " + describeIds(users, "user") + "; training needs at least"
          + " 2 distinct users (with one user every in-batch negative is one of that user's own positives)");
    }
  }

  private static String describeIds(IdIndex index, String what) {
    if (index.size() == 0) {
      return "no " + what;
    }
    return "only 1 " + what + " ('" + index.toArray()[0] + "')";
  }
}
