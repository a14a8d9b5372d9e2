package dev.logq.job.eval;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Builds the evaluator's input Datasets from plain arrays. */
final class EvalTestData {

  private EvalTestData() {}

  static Dataset<Row> embeddings(SparkSession spark, String idColumn, float[][] vectors) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < vectors.length; i++) {
      if (vectors[i] == null) {
        continue;
      }
      List<Float> v = new ArrayList<>();
      for (float x : vectors[i]) {
        v.add(x);
      }
      rows.add(RowFactory.create(i, v));
    }
    StructType schema = new StructType()
        .add(idColumn, DataTypes.IntegerType, false)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    return spark.createDataFrame(rows, schema);
  }

  /** pairs[k] = {user, item}. */
  static Dataset<Row> pairs(SparkSession spark, int[][] pairs) {
    List<Row> rows = new ArrayList<>();
    for (int[] p : pairs) {
      rows.add(RowFactory.create(p[0], p[1]));
    }
    StructType schema = new StructType()
        .add("user_idx", DataTypes.IntegerType, false)
        .add("item_idx", DataTypes.IntegerType, false);
    return spark.createDataFrame(rows, schema);
  }
}
