package dev.logq.job.ingest;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.common.data.SyntheticModel;
import dev.logq.common.data.SyntheticSettings;
import dev.logq.common.error.OutputExistsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates the synthetic data set of {@link SyntheticModel} with Spark: the users are cut into
 * contiguous ranges, one per partition; each task rebuilds the model from the (small, serialisable)
 * parameters and streams its users' interactions, which depend only on (seed, user). The driver holds
 * nothing but the list of ranges, so the size is limited by the cluster, not the driver, and the data
 * are the same for any number of partitions.
 */
public final class SyntheticData {
  private static final Logger LOG = LoggerFactory.getLogger(SyntheticData.class);

  /** Generated rows per partition when synthetic.partitions = 0. */
  static final long ROWS_PER_PARTITION = 1_000_000;

  private SyntheticData() {
  }

  /** The interactions in the normalised schema (ids as decimal strings, weight 1). */
  public static Dataset<Row> generate(SparkSession spark, SyntheticSettings config) {
    return generate(spark, config, partitions(spark, config), InteractionReader.SCHEMA,
        (user, item, time) -> RowFactory.create(String.valueOf(user), String.valueOf(item), time, 1.0));
  }

  /**
   * The raw data set as {@code generate} mode writes it: user and item ids (long) and the timestamp
   * (long, epoch seconds) under the given column names.
   */
  public static Dataset<Row> generateRaw(SparkSession spark, SyntheticSettings config, String userColumn, String itemColumn,
      String timestampColumn) {
    StructType schema = new StructType()
        .add(userColumn, DataTypes.LongType, false)
        .add(itemColumn, DataTypes.LongType, false)
        .add(timestampColumn, DataTypes.LongType, false);
    return generate(spark, config, partitions(spark, config), schema,
        (user, item, time) -> RowFactory.create(user, item, time));
  }

  /**
   * Writes the raw data set as Parquet to {@code InputSettings.of(config).path()}, with the configured user, item
   * and timestamp column names (timestamp: "timestamp" when input.timestampColumn is empty), so the
   * same configuration reads it back.
   *
   * @return the number of interactions written
   * @throws OutputExistsException if the path exists and {@code overwrite} is false
   */
  public static long write(SparkSession spark, JobConfig config, boolean overwrite) {
    String path = InputSettings.of(config).path();
    if (path.isEmpty()) {
      throw new IllegalArgumentException("input.path is empty: nowhere to write the synthetic data");
    }
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(p) && !overwrite) {
        throw new OutputExistsException(path, "Output " + path + " already exists; pass --overwrite (output.overwrite = true)"
            + " to replace it");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot check " + path + ": " + e.getMessage(), e);
    }
    InputSettings in = InputSettings.of(config);
    String timestamp = in.hasTimestampColumn() ? in.timestampColumn() : Interactions.TIMESTAMP;
    Dataset<Row> raw = generateRaw(spark, config.synthetic(), in.userColumn(), in.itemColumn(), timestamp);
    raw.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(path);
    long rows = spark.read().parquet(path).count();  // from the Parquet footers
    LOG.info("Wrote {} synthetic interactions ({} users, {} items) to {}", rows, config.synthetic().users(),
        config.synthetic().items(), path);
    return rows;
  }

  /** synthetic.partitions, or about one partition per million expected interactions (at least the default parallelism). */
  static int partitions(SparkSession spark, SyntheticSettings config) {
    if (config.partitions() > 0) {
      return Math.min(config.partitions(), config.users());
    }
    double expected = (double) config.users() * config.interactionsPerUser();
    int bySize = (int) Math.min(Integer.MAX_VALUE, Math.ceil(expected / ROWS_PER_PARTITION));
    return Math.max(1, Math.min(config.users(), Math.max(bySize, spark.sparkContext().defaultParallelism())));
  }

  /** Makes one output row. */
  interface RowMaker extends java.io.Serializable {
    Row make(long user, long item, long timestamp);
  }

  static Dataset<Row> generate(SparkSession spark, SyntheticSettings config, int partitions, StructType schema,
      RowMaker toRow) {
    int users = config.users();
    List<int[]> ranges = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      int from = (int) ((long) users * p / partitions);
      int to = (int) ((long) users * (p + 1) / partitions);
      if (to > from) {
        ranges.add(new int[] {from, to});
      }
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<Row> rows = jsc.parallelize(ranges, ranges.size())
        .mapPartitions(it -> {
          SyntheticModel model = SyntheticModel.of(config);
          List<int[]> mine = new ArrayList<>();
          it.forEachRemaining(mine::add);
          return new UserRangeIterator(model, mine, toRow);
        });
    return spark.createDataFrame(rows, schema);
  }

  /** Streams (user, item, timestamp) rows of consecutive users, one user's draws in memory at a time. */
  private static final class UserRangeIterator implements Iterator<Row> {
    private final SyntheticModel model;
    private final Iterator<int[]> ranges;
    private final RowMaker toRow;
    private int user;
    private int end;
    private SyntheticModel.UserInteractions current;
    private int k;

    UserRangeIterator(SyntheticModel model, List<int[]> ranges, RowMaker toRow) {
      this.model = model;
      this.ranges = ranges.iterator();
      this.toRow = toRow;
    }

    @Override
    public boolean hasNext() {
      while (current == null || k >= current.items.length) {
        if (user >= end) {
          if (!ranges.hasNext()) {
            return false;
          }
          int[] r = ranges.next();
          user = r[0];
          end = r[1];
          continue;
        }
        current = model.interactions(user++);
        k = 0;
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Row row = toRow.make(current.user, current.items[k], current.timestamps[k]);
      k++;
      return row;
    }
  }
}
