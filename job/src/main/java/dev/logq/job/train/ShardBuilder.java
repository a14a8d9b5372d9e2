package dev.logq.job.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Turns the indexed training split into one {@link TrainingShard} per worker.
 *
 * <p>Rows are assigned to workers by a seeded hash of (user, item, timestamp), not by their position
 * in the input, so the same data and worker count always produce the same shards whatever the input's
 * file layout; inside a shard rows are sorted by that hash. A user's interactions are spread over all
 * workers, which keeps in-batch negatives representative of the global item distribution Q.
 *
 * <p>For the history tower each row also carries the user's previous {@code historyLength} training
 * items by time (a window over the user's rows; ties in time broken by item index).
 */
public final class ShardBuilder {

  public static final String USER = "user_idx";
  public static final String ITEM = "item_idx";
  public static final String TIME = "ts";

  private ShardBuilder() {}

  /**
   * @param train columns user_idx int, item_idx int, ts long (non-null)
   * @return an RDD with exactly {@code workers} partitions, each holding one shard, persisted
   */
  public static JavaRDD<TrainingShard> build(Dataset<Row> train, int workers, int historyLength, long seed) {
    Dataset<Row> rows = train.select(col(USER).cast("int").as(USER), col(ITEM).cast("int").as(ITEM),
        col(TIME).cast("long").as(TIME));
    if (historyLength > 0) {
      WindowSpec previous = Window.partitionBy(col(USER)).orderBy(col(TIME), col(ITEM))
          .rowsBetween(-historyLength, -1);
      rows = rows.withColumn("history", collect_list(col(ITEM)).over(previous));
    }
    Column key = xxhash64(lit(seed), col(USER), col(ITEM), col(TIME));
    final int length = historyLength;
    final int n = workers;
    // Worker = pmod(key, workers), placed by an identity partitioner (Spark's hash partitioning of
    // the worker number would map several workers to one partition).
    JavaRDD<TrainingShard> shards = rows.withColumn("shard_key", key).toJavaRDD()
        .mapToPair(r -> new Tuple2<>((int) Math.floorMod(r.getLong(r.fieldIndex("shard_key")), (long) n), r))
        .partitionBy(new WorkerPartitioner(n))
        .mapPartitionsWithIndex((partition, it) -> Collections.singletonList(toShard(partition, it, length))
            .iterator(), true);
    return shards.persist(StorageLevel.MEMORY_AND_DISK());
  }

  private static TrainingShard toShard(int partition, Iterator<Tuple2<Integer, Row>> it, int historyLength) {
    List<Row> rows = new ArrayList<>();
    while (it.hasNext()) {
      rows.add(it.next()._2());
    }
    // Sorted by (hash key, user, item, time): the order no longer depends on shuffle arrival order.
    rows.sort(Comparator.<Row>comparingLong(r -> r.getLong(r.fieldIndex("shard_key")))
        .thenComparingInt(r -> r.getInt(0)).thenComparingInt(r -> r.getInt(1)).thenComparingLong(r -> r.getLong(2)));
    IntList users = new IntList();
    IntList items = new IntList();
    IntList history = new IntList();
    for (Row r : rows) {
      users.add(r.getInt(0));
      items.add(r.getInt(1));
      if (historyLength > 0) {
        List<Object> h = r.getList(3);
        // The window yields at most historyLength items, oldest first; left-pad so the most recent is last.
        for (int p = h.size(); p < historyLength; p++) {
          history.add(-1);
        }
        for (Object o : h) {
          history.add((Integer) o);
        }
      }
    }
    return new TrainingShard(partition, users.toArray(), items.toArray(), historyLength, history.toArray());
  }

  /** Partition i holds worker i. */
  static final class WorkerPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int workers;

    WorkerPartitioner(int workers) {
      this.workers = workers;
    }

    @Override
    public int numPartitions() {
      return workers;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof WorkerPartitioner w && w.workers == workers;
    }

    @Override
    public int hashCode() {
      return workers;
    }
  }

  /** A growable int array, so a shard of millions of rows is not a List of boxed Integers. */
  static final class IntList {
    private int[] data = new int[1024];
    private int size;

    void add(int v) {
      if (size == data.length) {
        data = java.util.Arrays.copyOf(data, data.length * 2);
      }
      data[size++] = v;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(data, size);
    }
  }

  /** The shard sizes, in partition order (one small job). */
  public static List<Integer> sizes(JavaRDD<TrainingShard> shards) {
    return new ArrayList<>(shards.map(TrainingShard::size).collect());
  }
}
