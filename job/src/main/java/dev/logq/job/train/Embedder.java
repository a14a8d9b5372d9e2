package dev.logq.job.train;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.data.Interactions;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Runs the trained towers over every user and item, in Spark, to produce the retrieval embeddings
 * (the tower outputs, L2-normalised when the model is). Executors read the parameters from the model
 * file written to the output (see {@link ModelFiles}).
 */
public final class Embedder {

  public static final StructType USER_SCHEMA = new StructType()
      .add(Interactions.USER_INDEX, DataTypes.IntegerType, false)
      .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
  public static final StructType ITEM_SCHEMA = new StructType()
      .add(Interactions.ITEM_INDEX, DataTypes.IntegerType, false)
      .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private static final int CHUNK = 2048;

  private final SparkSession spark;
  private final ModelSpec spec;
  private final String modelPath;

  public Embedder(SparkSession spark, ModelSpec spec, String modelPath) {
    this.spark = spark;
    this.spec = spec;
    this.modelPath = modelPath;
  }

  /** Embeddings of items 0 .. numItems-1: columns item_idx, embedding. */
  public Dataset<Row> items(int partitions) {
    ModelSpec s = spec;
    String path = modelPath;
    Dataset<Row> ids = spark.range(0, s.numItems(), 1, partitions).toDF(Interactions.ITEM_INDEX);
    return spark.createDataFrame(ids.javaRDD().mapPartitions(it -> itemRows(it, s, path)), ITEM_SCHEMA);
  }

  /**
   * Embeddings of users 0 .. numUsers-1. For towers that read the user's items, {@code train} (user_idx,
   * item_idx, ts) gives each user's last L training items ({@link UserHistory#latest}, the code that builds
   * the training histories); users without any get the empty-history vector.
   */
  public Dataset<Row> users(Dataset<Row> train, int partitions) {
    ModelSpec s = spec;
    Dataset<Row> ids = spark.range(0, s.numUsers(), 1, partitions).toDF(Interactions.USER_INDEX)
        .withColumn(Interactions.USER_INDEX, col(Interactions.USER_INDEX).cast("int"));
    return users(train, ids);
  }

  /** {@link #users(Dataset, int)} for the users of {@code ids} only (one int column user_idx, distinct). */
  public Dataset<Row> users(Dataset<Row> train, Dataset<Row> ids) {
    ModelSpec s = spec;
    String path = modelPath;
    int length = ShardBuilder.historyLength(s.userTower());
    ids = ids.select(col(Interactions.USER_INDEX).cast("int").as(Interactions.USER_INDEX));
    if (length > 0) {
      ids = ids.join(UserHistory.latest(train, ids, length), Interactions.USER_INDEX, "left");
    }
    return spark.createDataFrame(ids.javaRDD().mapPartitions(it -> userRows(it, s, path, length)), USER_SCHEMA);
  }

  /**
   * The embeddings of {@code users} computed here, on the driver, by the same tower calls and chunks of
   * {@value #CHUNK} as the executors' {@link #users}: {@code histories} holds each user's last L items as
   * {@link UserHistory#fill} lays them out (null for towers without a history). Row-major, users x outputDim.
   */
  public static float[] usersOnDriver(ModelSpec spec, TensorStore params, int[] users, int[] histories) {
    TwoTowerModel model = new TwoTowerModel(spec);
    int length = ShardBuilder.historyLength(spec.userTower());
    int dim = spec.outputDim();
    float[] out = new float[users.length * dim];
    int[] ids = new int[CHUNK];
    int[] history = new int[CHUNK * Math.max(1, length)];
    float[] chunk = new float[CHUNK * dim];
    for (int start = 0; start < users.length; start += CHUNK) {
      int n = Math.min(CHUNK, users.length - start);
      System.arraycopy(users, start, ids, 0, n);
      if (length > 0) {
        System.arraycopy(histories, start * length, history, 0, n * length);
      }
      model.userEmbeddings(params, length > 0 ? null : ids, length > 0 ? history : null, n, chunk);
      System.arraycopy(chunk, 0, out, start * dim, n * dim);
    }
    return out;
  }

  /** The embeddings of items 0 .. numItems-1 computed on the driver, as {@link #items} does on executors. */
  public static float[] itemsOnDriver(ModelSpec spec, TensorStore params) {
    TwoTowerModel model = new TwoTowerModel(spec);
    int dim = spec.outputDim();
    float[] out = new float[spec.numItems() * dim];
    int[] ids = new int[CHUNK];
    float[] chunk = new float[CHUNK * dim];
    for (int start = 0; start < spec.numItems(); start += CHUNK) {
      int n = Math.min(CHUNK, spec.numItems() - start);
      for (int i = 0; i < n; i++) {
        ids[i] = start + i;
      }
      model.itemEmbeddings(params, ids, n, chunk);
      System.arraycopy(chunk, 0, out, start * dim, n * dim);
    }
    return out;
  }

  // Static, so the anonymous iterators capture no Embedder (the closures must serialise).
  private static Iterator<Row> itemRows(Iterator<Row> it, ModelSpec s, String path) {
    TwoTowerModel model = new TwoTowerModel(s);
    TensorStore params = load(path);
    return new Chunked(it, CHUNK, s.outputDim()) {
      @Override
      int read(Row r, int slot) {
        return (int) r.getLong(0);
      }

      @Override
      void embed(int[] ids, int n, float[] out) {
        model.itemEmbeddings(params, ids, n, out);
      }
    };
  }

  private static Iterator<Row> userRows(Iterator<Row> it, ModelSpec s, String path, int length) {
    TwoTowerModel model = new TwoTowerModel(s);
    TensorStore params = load(path);
    int[] history = new int[CHUNK * Math.max(1, length)];
    return new Chunked(it, CHUNK, s.outputDim()) {
      @Override
      int read(Row r, int slot) {
        if (length > 0) {
          UserHistory.fill(r.isNullAt(1) ? List.of() : r.getList(1), history, slot * length, length);
        }
        return r.getInt(0);
      }

      @Override
      void embed(int[] ids, int n, float[] out) {
        model.userEmbeddings(params, length > 0 ? null : ids, length > 0 ? history : null, n, out);
      }
    };
  }

  private static TensorStore load(String path) {
    return ModelFiles.cached(path, SparkHadoopUtil.get().newConfiguration(SparkEnv.get().conf()));
  }

  /** Streams rows through the tower a chunk at a time, so a partition is never held in memory whole. */
  private abstract static class Chunked implements Iterator<Row> {
    private final Iterator<Row> input;
    private final int dim;
    private final int[] ids;
    private final float[] out;
    private final List<Row> ready = new ArrayList<>();
    private int next;

    Chunked(Iterator<Row> input, int chunk, int dim) {
      this.input = input;
      this.dim = dim;
      this.ids = new int[chunk];
      this.out = new float[chunk * dim];
    }

    abstract int read(Row r, int slot);

    abstract void embed(int[] ids, int n, float[] out);

    @Override
    public boolean hasNext() {
      if (next < ready.size()) {
        return true;
      }
      ready.clear();
      next = 0;
      int n = 0;
      while (n < ids.length && input.hasNext()) {
        ids[n] = read(input.next(), n);
        n++;
      }
      if (n == 0) {
        return false;
      }
      embed(ids, n, out);
      for (int i = 0; i < n; i++) {
        Float[] v = new Float[dim];
        for (int d = 0; d < dim; d++) {
          v[d] = out[i * dim + d];
        }
        ready.add(RowFactory.create(ids[i], v));
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.get(next++);
    }
  }
}
