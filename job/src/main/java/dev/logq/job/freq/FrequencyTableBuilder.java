package dev.logq.job.freq;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;

import dev.logq.common.freq.LogQTable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link LogQTable} from the indexed training split: one aggregation by item index (partial
 * sums on the executors, then a shuffle of at most one row per item per partition), and a collect of
 * the n (index, count) pairs. With a weight column the counts are sums of weights, so Q(i) is item i's
 * share of the total training weight; without one they are row counts.
 */
public final class FrequencyTableBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(FrequencyTableBuilder.class);

  private FrequencyTableBuilder() {
  }

  /**
   * @param train the training interactions with an int item index column
   * @param itemIndexColumn e.g. {@link dev.logq.common.data.Interactions#ITEM_INDEX}
   * @param numItems the catalog size n (the item index's size); items without interactions get count 0
   * @param weightColumn a weight column to sum, or null to count rows
   */
  public static LogQTable build(Dataset<Row> train, String itemIndexColumn, int numItems, String weightColumn) {
    Dataset<Row> perItem = train.groupBy(col(itemIndexColumn).cast(DataTypes.IntegerType).as("i"))
        .agg(weightColumn == null ? count("*").as("c") : sum(col(weightColumn).cast(DataTypes.DoubleType)).as("c"));
    long[] counts = new long[numItems];
    double[] weights = new double[numItems];
    for (Row r : perItem.collectAsList()) {
      if (r.isNullAt(0)) {
        throw new IllegalArgumentException("null item index in the training data (column " + itemIndexColumn + ")");
      }
      int item = r.getInt(0);
      if (item < 0 || item >= numItems) {
        throw new IllegalArgumentException("item index " + item + " outside 0.." + (numItems - 1) + " (column "
            + itemIndexColumn + ")");
      }
      if (weightColumn == null) {
        counts[item] = r.getLong(1);
      } else {
        weights[item] = r.getDouble(1);
      }
    }
    LogQTable table = weightColumn == null ? LogQTable.fromCounts(counts) : LogQTable.fromWeights(weights);
    LOG.info("Frequency table: {}", table);
    return table;
  }
}
