package dev.logq.job.output;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.eval.TopK;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Writes top-K recommendations as Parquet under the original ids, one row per (user, rank): columns
 * {@code user string}, {@code rank int} (1 = best), {@code item string}, {@code score float} (the model's
 * score, the dot product of the retrieval embeddings; ties ranked by the smaller item index).
 */
public final class RecommendationWriter {

  public static final String USER = "user";
  public static final String RANK = "rank";
  public static final String ITEM = "item";
  public static final String SCORE = "score";
  public static final StructType SCHEMA = new StructType()
      .add(USER, DataTypes.StringType, false)
      .add(RANK, DataTypes.IntegerType, false)
      .add(ITEM, DataTypes.StringType, false)
      .add(SCORE, DataTypes.FloatType, false);

  private static final Logger LOG = LoggerFactory.getLogger(RecommendationWriter.class);
  private static final StructType INDEXED = new StructType()
      .add("_user_idx", DataTypes.IntegerType, false)
      .add(RANK, DataTypes.IntegerType, false)
      .add("_item_idx", DataTypes.IntegerType, false)
      .add(SCORE, DataTypes.FloatType, false);

  private RecommendationWriter() {}

  /**
   * Writes {@code top} (user_idx -> its TopK) with the ids of {@code userIds} and {@code itemIds}
   * ({@code original_id, index}) to {@code targetUri}; returns the rows written.
   */
  public static long write(SparkSession spark, JavaPairRDD<Integer, TopK> top, Dataset<Row> userIds,
                           Dataset<Row> itemIds, String targetUri) {
    JavaRDD<Row> rows = top.flatMap(RecommendationWriter::rowsOf);
    Dataset<Row> indexed = spark.createDataFrame(rows, INDEXED);
    Dataset<Row> users = userIds.select(col(EmbeddingWriter.ORIGINAL_ID).cast("string").as(USER),
        col(EmbeddingWriter.INDEX).cast("int").as("_user_idx"));
    Dataset<Row> items = itemIds.select(col(EmbeddingWriter.ORIGINAL_ID).cast("string").as(ITEM),
        col(EmbeddingWriter.INDEX).cast("int").as("_item_idx"));
    Dataset<Row> out = indexed.join(users, "_user_idx").join(items, "_item_idx")
        .select(USER, RANK, ITEM, SCORE).orderBy(USER, RANK);
    out.write().mode(SaveMode.ErrorIfExists).parquet(targetUri);
    long n = spark.read().parquet(targetUri).count();
    LOG.info("Wrote {} recommendations to {}", n, targetUri);
    return n;
  }

  private static Iterator<Row> rowsOf(Tuple2<Integer, TopK> e) {
    int[] items = e._2().sortedItems();
    float[] scores = e._2().sortedScores();
    List<Row> out = new ArrayList<>(items.length);
    for (int r = 0; r < items.length; r++) {
      out.add(RowFactory.create(e._1(), r + 1, items[r], scores[r]));
    }
    return out.iterator();
  }
}
