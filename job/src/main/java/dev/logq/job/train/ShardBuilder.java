package dev.logq.job.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.logq.common.config.ShardPlacement;
import dev.logq.common.data.Interactions;
import dev.logq.common.model.tower.InputKind;
import dev.logq.common.model.tower.SequenceTower;
import dev.logq.common.model.tower.UserTower;
import dev.logq.job.train.collective.RowOwnership;
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
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Turns the indexed training split into one {@link TrainingShard} per worker.
 *
 * <p>Rows are assigned to workers by a seeded hash of (user, item, timestamp) ({@code train.placement =
 * example}) or by user ({@code user}: to the worker that owns the user's row in the collective backend's
 * {@link RowOwnership}), never by their position in the input, so the same data and worker count always
 * produce the same shards whatever the input's file layout; inside a shard rows are sorted by that hash.
 * Either way each worker's in-batch negatives are a sample of the global item distribution Q: by example
 * every worker sees a share of every user's interactions, by user R/N of the users spread over the index (which
 * ranks users by activity, so every worker gets every level of activity and the shards balance). By user,
 * a worker's gradient and next reads of the per-user table are rows it owns itself, so with the collective
 * backend they never leave it (the ALS pattern of user blocks); only item rows travel.
 *
 * <p>For the history tower each row also carries the user's previous {@code historyLength} training
 * items by time ({@link UserHistory}, the same code that gives evaluation and export their histories).
 *
 * <p>For a sequence tower an example is a window of L items of the user's training sequence with each
 * slot's next item ({@link UserHistory#windows}, stride {@link SequenceTower#windowStride()}); windows are
 * placed by a seeded hash of (user, window end) and sorted by it, like rows.
 */
public final class ShardBuilder {

  private static final String USER = Interactions.USER_INDEX;
  private static final String ITEM = Interactions.ITEM_INDEX;
  private static final String TIME = Interactions.TIME;

  private ShardBuilder() {}

  /**
   * The shards for {@code tower}'s input, placed as {@code placement} says ({@link #resolve}d here);
   * {@code numUsers} is the user index's size (the per-user table's rows), needed by user.
   */
  public static JavaRDD<TrainingShard> build(Dataset<Row> train, int workers, UserTower tower, long seed,
                                             ShardPlacement placement, int numUsers) {
    UserWorkers users = resolve(placement, tower) == ShardPlacement.USER
        ? new UserWorkers(workers, seed, tower.perUserTable() == null ? VIRTUAL_USER_TABLE : tower.perUserTable(),
            numUsers)
        : null;
    if (tower.input() == InputKind.SEQUENCE) {
      int stride = tower instanceof SequenceTower s ? s.windowStride() : tower.window();
      return buildSequences(train, workers, tower.window(), stride, seed, users);
    }
    return build(train, workers, historyLength(tower), seed, users);
  }

  /** {@code auto} as this tower takes it: user for a tower with a per-user table (its rows then stay home). */
  public static ShardPlacement resolve(ShardPlacement placement, UserTower tower) {
    if (placement != ShardPlacement.AUTO) {
      return placement;
    }
    return tower.perUserTable() != null ? ShardPlacement.USER : ShardPlacement.EXAMPLE;
  }

  /** Why {@link #resolve} chose what it did, for the log. */
  public static String describe(ShardPlacement configured, UserTower tower) {
    ShardPlacement p = resolve(configured, tower);
    String why = configured != ShardPlacement.AUTO ? "as configured"
        : p == ShardPlacement.USER ? "auto: the " + tower.name() + " tower has a row per user (" + tower.perUserTable()
            + "), which stays on the worker that trains on its user"
        : "auto: the " + tower.name() + " tower has no per-user rows";
    return p.configName() + " (" + why + ")";
  }

  /** Placement by user for a tower without a per-user table: the same balance of the users over the workers. */
  static final String VIRTUAL_USER_TABLE = "user";

  /**
   * The worker of each user under placement = user: the owner of the user's row of {@code table} in
   * {@link RowOwnership} (a seeded permutation of the user ids, R/N users each, +-1), the function the
   * collective backend shards that table with, so a worker's per-user rows are its own.
   */
  static final class UserWorkers implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final RowOwnership ownership;
    private final String table;
    /** {@code ownership.owners(table)}, looked up once per JVM rather than once per example (not serialisable). */
    private transient java.util.function.IntUnaryOperator owners;

    UserWorkers(int workers, long seed, String table, int numUsers) {
      if (numUsers < 1) {
        throw new IllegalArgumentException("placement by user needs the user count, got " + numUsers);
      }
      this.ownership = new RowOwnership(workers, seed, java.util.Map.of(table, numUsers));
      this.table = table;
    }

    int of(int user) {
      java.util.function.IntUnaryOperator o = owners;
      if (o == null) {
        owners = o = ownership.owners(table); // a benign race: every thread computes the same function
      }
      return o.applyAsInt(user);
    }
  }

  /**
   * The items the tower reads per example and per embedded user: L for towers that read the user's items
   * (HISTORY: the items before the example; SEQUENCE: a window, and the user's last L for embedding), else 0.
   */
  public static int historyLength(UserTower tower) {
    return switch (tower.input()) {
      case USER_IDS -> 0;
      case HISTORY, SEQUENCE -> tower.window();
    };
  }

  /**
   * Sequence windows ({@link UserHistory#windows} of each user's {@link UserHistory#sequences}), placed on the
   * workers by a seeded hash of (user, window end) and sorted by (hash, user, end) inside a shard.
   *
   * @return an RDD with exactly {@code workers} partitions, each holding one shard of windows, persisted
   */
  public static JavaRDD<TrainingShard> buildSequences(Dataset<Row> train, int workers, int length, int stride,
                                                      long seed) {
    return buildSequences(train, workers, length, stride, seed, null);
  }

  /** As {@link #buildSequences(Dataset, int, int, int, long)}; with {@code users} a user's windows on its worker. */
  static JavaRDD<TrainingShard> buildSequences(Dataset<Row> train, int workers, int length, int stride, long seed,
                                               UserWorkers users) {
    Dataset<Row> rows = train.select(col(USER).cast("int").as(USER), col(ITEM).cast("int").as(ITEM),
        col(TIME).cast("long").as(TIME));
    final int n = workers;
    JavaRDD<TrainingShard> shards = UserHistory.sequences(rows).toJavaRDD()
        .flatMapToPair(r -> {
          int user = r.getInt(0);
          List<Tuple2<Integer, WindowExample>> out = new ArrayList<>();
          for (UserHistory.SequenceWindow w : UserHistory.windows(r.getList(1), length, stride)) {
            long key = Seeds.mix(seed, 0x5E9L, user, w.end());
            out.add(new Tuple2<>(users == null ? (int) Math.floorMod(key, (long) n) : users.of(user),
                new WindowExample(key, user, w.end(), w.inputs(), w.targets())));
          }
          return out.iterator();
        })
        .partitionBy(new WorkerPartitioner(n))
        .mapPartitionsWithIndex((partition, it) -> Collections.singletonList(toSequenceShard(partition, it, length))
            .iterator(), true);
    return shards.persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** One training window on its way to its worker (a plain class: Kryo, which clusters often use, cannot build records). */
  static final class WindowExample implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    long key;
    int user;
    int end;
    int[] inputs;
    int[] targets;

    WindowExample() {}

    WindowExample(long key, int user, int end, int[] inputs, int[] targets) {
      this.key = key;
      this.user = user;
      this.end = end;
      this.inputs = inputs;
      this.targets = targets;
    }

    long key() {
      return key;
    }

    int user() {
      return user;
    }

    int end() {
      return end;
    }
  }

  private static TrainingShard toSequenceShard(int partition, Iterator<Tuple2<Integer, WindowExample>> it,
                                               int length) {
    List<WindowExample> windows = new ArrayList<>();
    while (it.hasNext()) {
      windows.add(it.next()._2());
    }
    windows.sort(Comparator.comparingLong(WindowExample::key).thenComparingInt(WindowExample::user)
        .thenComparingInt(WindowExample::end));
    int m = windows.size();
    int[] users = new int[m];
    int[] last = new int[m];
    int[] inputs = new int[m * length];
    int[] targets = new int[m * length];
    for (int i = 0; i < m; i++) {
      WindowExample w = windows.get(i);
      users[i] = w.user();
      last[i] = w.targets[length - 1];
      System.arraycopy(w.inputs, 0, inputs, i * length, length);
      System.arraycopy(w.targets, 0, targets, i * length, length);
    }
    return TrainingShard.ofSequences(partition, users, last, length, inputs, targets);
  }

  /**
   * @param train columns user_idx int, item_idx int, ts long (non-null)
   * @param historyLength the previous items each row carries (0: none)
   * @return an RDD with exactly {@code workers} partitions, each holding one shard, persisted
   */
  public static JavaRDD<TrainingShard> build(Dataset<Row> train, int workers, int historyLength, long seed) {
    return build(train, workers, historyLength, seed, null);
  }

  /** As {@link #build(Dataset, int, int, long)}; with {@code users} every row on its user's worker. */
  static JavaRDD<TrainingShard> build(Dataset<Row> train, int workers, int historyLength, long seed,
                                      UserWorkers users) {
    Dataset<Row> rows = train.select(col(USER).cast("int").as(USER), col(ITEM).cast("int").as(ITEM),
        col(TIME).cast("long").as(TIME));
    if (historyLength > 0) {
      rows = UserHistory.beforeEachRow(rows, historyLength);
    }
    Column key = xxhash64(lit(seed), col(USER), col(ITEM), col(TIME));
    final int length = historyLength;
    final int n = workers;
    // Worker = pmod(key, workers) or the user's worker, placed by an identity partitioner (Spark's hash
    // partitioning of the worker number would map several workers to one partition).
    JavaRDD<TrainingShard> shards = rows.withColumn("shard_key", key).toJavaRDD()
        .mapToPair(r -> new Tuple2<>(users == null
            ? (int) Math.floorMod(r.getLong(r.fieldIndex("shard_key")), (long) n) : users.of(r.getInt(0)), r))
        .partitionBy(new WorkerPartitioner(n))
        .mapPartitionsWithIndex((partition, it) -> Collections.singletonList(toShard(partition, it, length))
            .iterator(), true);
    return shards.persist(StorageLevel.MEMORY_AND_DISK());
  }

  private static TrainingShard toShard(int partition, Iterator<Tuple2<Integer, Row>> it, int historyLength) {
    // Every row goes straight into primitive columns: held as Row objects with boxed histories, a shard costs
    // about 400 bytes a row (23M rows of the 10M-item run took 9 GB of heap before training began, issue 14);
    // as columns it is 24 + 4 x historyLength bytes.
    LongList keys = new LongList();
    IntList users = new IntList();
    IntList items = new IntList();
    LongList times = new LongList();
    IntList histories = new IntList();
    int[] history = new int[historyLength];
    int keyField = -1;
    while (it.hasNext()) {
      Row r = it.next()._2();
      if (keyField < 0) {
        keyField = r.fieldIndex("shard_key");
      }
      keys.add(r.getLong(keyField));
      users.add(r.getInt(0));
      items.add(r.getInt(1));
      times.add(r.getLong(2));
      if (historyLength > 0) {
        UserHistory.fill(r.getList(3), history, 0, historyLength);
        histories.addAll(history);
      }
    }
    // Sorted by (hash key, user, item, time): the order no longer depends on shuffle arrival order.
    long[] k = keys.data;
    int[] u = users.data;
    int[] i = items.data;
    long[] t = times.data;
    int[] order = IndexSort.stableOrder(users.size, (a, b) -> {
      int c = Long.compare(k[a], k[b]);
      c = c != 0 ? c : Integer.compare(u[a], u[b]);
      c = c != 0 ? c : Integer.compare(i[a], i[b]);
      return c != 0 ? c : Long.compare(t[a], t[b]);
    });
    int n = order.length;
    int[] shardUsers = new int[n];
    int[] shardItems = new int[n];
    int[] shardHistory = new int[n * historyLength];
    for (int row = 0; row < n; row++) {
      int from = order[row];
      shardUsers[row] = u[from];
      shardItems[row] = i[from];
      System.arraycopy(histories.data, from * historyLength, shardHistory, row * historyLength, historyLength);
    }
    return new TrainingShard(partition, shardUsers, shardItems, historyLength, shardHistory);
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

    void addAll(int[] values) {
      if (size + values.length > data.length) {
        data = java.util.Arrays.copyOf(data, Math.max(data.length * 2, size + values.length));
      }
      System.arraycopy(values, 0, data, size, values.length);
      size += values.length;
    }
  }

  /** A growable long array. */
  static final class LongList {
    private long[] data = new long[1024];
    private int size;

    void add(long v) {
      if (size == data.length) {
        data = java.util.Arrays.copyOf(data, data.length * 2);
      }
      data[size++] = v;
    }
  }

  /** The shard sizes, in partition order (one small job). */
  public static List<Integer> sizes(JavaRDD<TrainingShard> shards) {
    return new ArrayList<>(shards.map(TrainingShard::size).collect());
  }
}
