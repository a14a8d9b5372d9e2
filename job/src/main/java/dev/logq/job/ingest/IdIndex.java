package dev.logq.job.ingest;

import static org.apache.spark.sql.functions.asc;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import dev.logq.common.error.DataException;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * A dense index of ids: original id (string) to 0..n-1, built over the training split and saved with
 * the model so embeddings map back to the original ids.
 *
 * <p>Order: by number of interactions, descending, then by id (string order), ascending; so index 0 is
 * the most frequent id, and the same data always give the same index. Saved as Parquet with columns
 * {@code original_id} (string) and {@code index} (int).
 */
public final class IdIndex {
  public static final String ORIGINAL_ID = "original_id";
  public static final String INDEX = "index";
  public static final StructType SCHEMA = new StructType()
      .add(ORIGINAL_ID, DataTypes.StringType, false)
      .add(INDEX, DataTypes.IntegerType, false);

  private final Dataset<Row> mapping;
  private final int size;

  private IdIndex(Dataset<Row> mapping, int size) {
    this.mapping = mapping;
    this.size = size;
  }

  /** Indexes the distinct values of {@code idColumn} (strings) in {@code data}. */
  public static IdIndex build(Dataset<Row> data, String idColumn) {
    Dataset<Row> counted = data.groupBy(col(idColumn).cast(DataTypes.StringType).as(ORIGINAL_ID))
        .agg(count("*").as("_count"))
        .orderBy(desc("_count"), asc(ORIGINAL_ID));
    // zipWithIndex numbers the globally sorted rows: partition by partition, in order.
    JavaRDD<Row> indexed = counted.select(ORIGINAL_ID).javaRDD().zipWithIndex().map(pair -> {
      long index = pair._2();
      if (index > Integer.MAX_VALUE) {
        throw new IllegalStateException("more than 2^31 distinct ids");
      }
      return RowFactory.create(pair._1().getString(0), (int) index);
    });
    Dataset<Row> mapping = data.sparkSession().createDataFrame(indexed, SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
    long n = mapping.count();
    return new IdIndex(mapping, (int) n);
  }

  /** Reads an index saved by {@link #save}, checking that it is dense and one-to-one. */
  public static IdIndex load(SparkSession spark, String path) {
    Dataset<Row> df;
    try {
      df = spark.read().parquet(path);
    } catch (Exception e) {
      throw new DataException(path, "cannot read the id index: " + e.getMessage(), e);
    }
    List<String> columns = List.of(df.columns());
    if (!columns.contains(ORIGINAL_ID) || !columns.contains(INDEX)) {
      throw new DataException(path, "not an id index: expected columns [original_id, index], found " + columns);
    }
    Dataset<Row> mapping = df.select(col(ORIGINAL_ID).cast(DataTypes.StringType), col(INDEX).cast(DataTypes.IntegerType))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Row s = mapping.agg(count("*"), min(INDEX), max(INDEX), countDistinct(col(INDEX)), countDistinct(col(ORIGINAL_ID)),
        count(col(ORIGINAL_ID)), count(col(INDEX))).first();
    long n = s.getLong(0);
    boolean dense = n > 0 && s.getInt(1) == 0 && s.getInt(2) == n - 1 && s.getLong(3) == n && s.getLong(4) == n
        && s.getLong(5) == n && s.getLong(6) == n;
    if (!dense) {
      mapping.unpersist();
      throw new DataException(path, "corrupt id index: " + n + " rows, index from " + s.get(1) + " to " + s.get(2) + ", "
          + s.get(3) + " distinct indices, " + s.get(4) + " distinct ids (expected 0..n-1, each once, no nulls)");
    }
    return new IdIndex(mapping, (int) n);
  }

  /** Writes the mapping as Parquet; an existing path is replaced only with {@code overwrite}. */
  public void save(String path, boolean overwrite) {
    mapping.orderBy(INDEX).write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(path);
  }

  /** Number of ids n; indices are 0..n-1. */
  public int size() {
    return size;
  }

  /** (original_id string, index int). */
  public Dataset<Row> mapping() {
    return mapping;
  }

  /**
   * {@code data} with {@code indexColumn} (int) added from its {@code idColumn}. Rows whose id is not in
   * the index are dropped (inner join): count them first when that matters.
   */
  public Dataset<Row> apply(Dataset<Row> data, String idColumn, String indexColumn) {
    Dataset<Row> m = mapping.select(col(ORIGINAL_ID).as("_idx_id"), col(INDEX).as(indexColumn));
    return data.join(m, col(idColumn).cast(DataTypes.StringType).equalTo(col("_idx_id")), "inner").drop("_idx_id");
  }

  /** The original ids by index, on the driver (for writing embeddings next to their ids). */
  public String[] toArray() {
    String[] ids = new String[size];
    for (Row r : mapping.collectAsList()) {
      ids[r.getInt(1)] = r.getString(0);
    }
    return ids;
  }

  /** Releases the cached mapping. */
  public void unpersist() {
    mapping.unpersist();
  }
}
