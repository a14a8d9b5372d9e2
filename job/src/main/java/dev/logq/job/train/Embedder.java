package dev.logq.job.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.array_sort;

import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Runs the trained towers over every user and item, in Spark, to produce the retrieval embeddings
 * (the tower outputs, L2-normalised when the model is). The trained parameters are broadcast once.
 */
public final class Embedder {

  public static final StructType USER_SCHEMA = new StructType()
      .add("user_idx", DataTypes.IntegerType, false)
      .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
  public static final StructType ITEM_SCHEMA = new StructType()
      .add("item_idx", DataTypes.IntegerType, false)
      .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private static final int CHUNK = 4096;

  private final SparkSession spark;
  private final ModelSpec spec;
  private final Broadcast<TensorStore> params;

  public Embedder(SparkSession spark, ModelSpec spec, TensorStore trained) {
    this.spark = spark;
    this.spec = spec;
    this.params = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(trained);
  }

  /** Embeddings of items 0 .. numItems-1: columns item_idx, embedding. */
  public Dataset<Row> items(int partitions) {
    ModelSpec s = spec;
    Broadcast<TensorStore> p = params;
    Dataset<Row> ids = spark.range(0, s.numItems(), 1, partitions).toDF("item_idx");
    return spark.createDataFrame(ids.javaRDD().mapPartitions(it -> {
      TwoTowerModel model = new TwoTowerModel(s);
      List<Row> out = new ArrayList<>();
      int[] chunk = new int[CHUNK];
      float[] emb = new float[CHUNK * s.outputDim()];
      int n = 0;
      while (it.hasNext()) {
        chunk[n++] = (int) it.next().getLong(0);
        if (n == CHUNK || !it.hasNext()) {
          model.itemEmbeddings(p.value(), chunk, n, emb);
          emit(out, chunk, n, emb, s.outputDim());
          n = 0;
        }
      }
      return out.iterator();
    }), ITEM_SCHEMA);
  }

  /**
   * Embeddings of users 0 .. numUsers-1. For the history tower, {@code train} (user_idx, item_idx, ts)
   * gives each user's last L training items; users without any get the empty-history vector.
   */
  public Dataset<Row> users(Dataset<Row> train, int partitions) {
    ModelSpec s = spec;
    Broadcast<TensorStore> p = params;
    int length = s.userTower() == ModelSpec.UserTower.HISTORY ? s.historyLength() : 0;
    Dataset<Row> ids = spark.range(0, s.numUsers(), 1, partitions).toDF("user_idx")
        .withColumn("user_idx", col("user_idx").cast("int"));
    if (length > 0) {
      Dataset<Row> recent = train
          .withColumn("rn", row_number().over(Window.partitionBy(col("user_idx"))
              .orderBy(col("ts").desc(), col("item_idx").desc())))
          .filter(col("rn").leq(length))
          .groupBy(col("user_idx"))
          .agg(array_sort(collect_list(struct(col("ts"), col("item_idx")))).as("recent"));
      ids = ids.join(recent, "user_idx", "left");
    }
    return spark.createDataFrame(ids.javaRDD().mapPartitions((Iterator<Row> it) -> {
      TwoTowerModel model = new TwoTowerModel(s);
      List<Row> out = new ArrayList<>();
      int[] chunk = new int[CHUNK];
      int[] history = new int[CHUNK * Math.max(1, length)];
      float[] emb = new float[CHUNK * s.outputDim()];
      int n = 0;
      while (it.hasNext()) {
        Row r = it.next();
        chunk[n] = r.getInt(0);
        if (length > 0) {
          fillHistory(r.isNullAt(1) ? List.of() : r.getList(1), history, n * length, length);
        }
        n++;
        if (n == CHUNK || !it.hasNext()) {
          model.userEmbeddings(p.value(), chunk, length > 0 ? history : null, n, emb);
          emit(out, chunk, n, emb, s.outputDim());
          n = 0;
        }
      }
      return out.iterator();
    }), USER_SCHEMA);
  }

  /** Oldest first (array_sort by ts), left-padded with -1 so the most recent item is last. */
  private static void fillHistory(List<Row> recent, int[] history, int offset, int length) {
    int pad = length - recent.size();
    for (int i = 0; i < pad; i++) {
      history[offset + i] = -1;
    }
    for (int i = 0; i < recent.size(); i++) {
      history[offset + pad + i] = recent.get(i).getInt(1);
    }
  }

  private static void emit(List<Row> out, int[] ids, int n, float[] emb, int dim) {
    for (int i = 0; i < n; i++) {
      float[] v = new float[dim];
      System.arraycopy(emb, i * dim, v, 0, dim);
      Float[] boxed = new Float[dim];
      for (int d = 0; d < dim; d++) {
        boxed[d] = v[d];
      }
      out.add(RowFactory.create(ids[i], boxed));
    }
  }

  public void release() {
    params.destroy();
  }
}
