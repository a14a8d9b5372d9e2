package dev.logq.job.split;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;

import dev.logq.common.data.Interactions;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes users with fewer than minUserCount interactions and items with fewer than minItemCount,
 * repeated until nothing changes: the result is the (minUserCount, minItemCount)-core, in which every
 * user and item has enough interactions (the same result whichever order the removals happen in).
 * Counts are rows, not weights. Each round is one Spark job (two aggregations and two anti-joins) whose
 * result is persisted; one more round confirms that nothing changes. Typical data converge in a few
 * rounds, and with minItemCount = 1 in one.
 */
public final class MinCountFilter {
  private static final Logger LOG = LoggerFactory.getLogger(MinCountFilter.class);

  private MinCountFilter() {
  }

  /** The filtered data and what was removed. */
  public static final class Result {
    private final Dataset<Row> data;
    private final int rounds;
    private final long usersRemoved;
    private final long itemsRemoved;
    private final long rowsBefore;
    private final long rowsAfter;
    private final List<Dataset<Row>> cached;

    Result(Dataset<Row> data, int rounds, long usersRemoved, long itemsRemoved, long rowsBefore, long rowsAfter,
        List<Dataset<Row>> cached) {
      this.data = data;
      this.rounds = rounds;
      this.usersRemoved = usersRemoved;
      this.itemsRemoved = itemsRemoved;
      this.rowsBefore = rowsBefore;
      this.rowsAfter = rowsAfter;
      this.cached = cached;
    }

    /** The filtered interactions (same columns as the input; persisted if anything was removed). */
    public Dataset<Row> data() {
      return data;
    }

    /** Rounds that removed something. */
    public int rounds() {
      return rounds;
    }

    public long usersRemoved() {
      return usersRemoved;
    }

    public long itemsRemoved() {
      return itemsRemoved;
    }

    public long rowsBefore() {
      return rowsBefore;
    }

    public long rowsAfter() {
      return rowsAfter;
    }

    public long rowsRemoved() {
      return rowsBefore - rowsAfter;
    }

    /** Releases what the filter cached. */
    public void unpersist() {
      for (Dataset<Row> d : cached) {
        d.unpersist();
      }
    }
  }

  public static Result apply(Dataset<Row> interactions, int minUserCount, int minItemCount) {
    Row before = sizes(interactions);
    if (minUserCount <= 1 && minItemCount <= 1) {
      return new Result(interactions, 0, 0, 0, before.getLong(0), before.getLong(0), List.of());
    }
    Column[] columns = columnsOf(interactions);
    Dataset<Row> current = interactions;
    long rows = before.getLong(0);
    List<Dataset<Row>> cached = new ArrayList<>();
    int rounds = 0;
    while (rows > 0) {
      // Users and items below their minimum in `current`, removed together; one Spark job per round.
      // The renamed columns keep the anti-joins from being a self-join of `current`.
      Dataset<Row> next = current;
      if (minUserCount > 1) {
        Dataset<Row> badUsers = current.groupBy(Interactions.USER).count().filter(col("count").lt(minUserCount))
            .select(col(Interactions.USER).as("_bad_user"));
        next = next.join(badUsers, col(Interactions.USER).equalTo(col("_bad_user")), "left_anti");
      }
      if (minItemCount > 1) {
        Dataset<Row> badItems = current.groupBy(Interactions.ITEM).count().filter(col("count").lt(minItemCount))
            .select(col(Interactions.ITEM).as("_bad_item"));
        next = next.join(badItems, col(Interactions.ITEM).equalTo(col("_bad_item")), "left_anti");
      }
      next = next.select(columns).persist(StorageLevel.MEMORY_AND_DISK());
      long left = next.count();
      if (left == rows) {
        next.unpersist();
        break;
      }
      rounds++;
      LOG.info("Min-count filter round {}: {} interactions left of {}", rounds, left, rows);
      if (!cached.isEmpty()) {
        cached.remove(cached.size() - 1).unpersist();
      }
      cached.add(next);
      current = next;
      rows = left;
    }
    Row after = rounds == 0 ? before : sizes(current);
    return new Result(current, rounds, before.getLong(1) - after.getLong(1), before.getLong(2) - after.getLong(2),
        before.getLong(0), rows, cached);
  }

  /** (rows, distinct users, distinct items). */
  private static Row sizes(Dataset<Row> data) {
    return data.agg(count(lit(1)), countDistinct(col(Interactions.USER)), countDistinct(col(Interactions.ITEM))).first();
  }

  static Column[] columnsOf(Dataset<Row> data) {
    String[] names = data.columns();
    Column[] columns = new Column[names.length];
    for (int i = 0; i < names.length; i++) {
      columns[i] = col(names[i]);
    }
    return columns;
  }
}
