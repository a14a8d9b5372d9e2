package dev.logq.job.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.SparkTestSession;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingWriterTest {

  private static SparkSession spark;

  @TempDir
  File tmp;

  // Ids a CSV or a naive path would mangle.
  private static final String[] IDS = {
      "plain", "with space", " leading and trailing ", "comma,separated", "quote\"d", "tab\there",
      "line\nbreak", "ünïcödé", "日本語", "emoji 🎧", "12", "012", "", "null"};

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("EmbeddingWriterTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static float[] vectorOf(int index) {
    return new float[] {index, -index / 3f, (float) Math.sqrt(index + 1)};
  }

  /** Indices deliberately not equal to the position of the id, to catch an id/index mix-up. */
  private static int indexOf(int position) {
    return (position * 5 + 3) % IDS.length;
  }

  private static Dataset<Row> idIndex() {
    List<Row> rows = new ArrayList<>();
    for (int p = 0; p < IDS.length; p++) {
      rows.add(RowFactory.create(IDS[p], indexOf(p)));
    }
    return spark.createDataFrame(rows, new StructType()
        .add("original_id", DataTypes.StringType, false).add("index", DataTypes.IntegerType, false));
  }

  private static Dataset<Row> embeddings(int count) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      List<Float> v = new ArrayList<>();
      for (float x : vectorOf(i)) {
        v.add(x);
      }
      rows.add(RowFactory.create(i, v));
    }
    return spark.createDataFrame(rows, new StructType()
        .add("item_idx", DataTypes.IntegerType, false)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false));
  }

  @Test
  void roundTripToOriginalIds() throws IOException {
    String path = "file://" + new File(tmp, "out").getAbsolutePath();
    try (AtomicOutput out = AtomicOutput.begin(spark.sparkContext().hadoopConfiguration(), path, false, "t1")) {
      long n = EmbeddingWriter.write(embeddings(IDS.length), "item_idx", idIndex(), out.stagingUri("item_embeddings"));
      assertEquals(IDS.length, n);
      assertEquals(IDS.length, EmbeddingWriter.writeIdIndex(idIndex(), out.stagingUri("item_index")));
      out.commit();
    }
    Dataset<Row> back = spark.read().parquet(path + "/item_embeddings");
    assertEquals(List.of("id", "index", "embedding"), List.of(back.columns()));
    assertEquals("array<float>", back.schema().apply("embedding").dataType().simpleString());
    Map<String, float[]> byId = new HashMap<>();
    Map<String, Integer> indexById = new HashMap<>();
    for (Row r : back.collectAsList()) {
      List<Float> v = r.getList(2);
      float[] a = new float[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      assertFalse(byId.containsKey(r.getString(0)), "id written twice: " + r.getString(0));
      byId.put(r.getString(0), a);
      indexById.put(r.getString(0), r.getInt(1));
    }
    assertEquals(IDS.length, byId.size());
    Map<String, Integer> indexBack = new HashMap<>();
    spark.read().parquet(path + "/item_index").collectAsList().forEach(r -> indexBack.put(r.getString(0), r.getInt(1)));
    assertEquals(indexById, indexBack);
    for (int p = 0; p < IDS.length; p++) {
      assertTrue(byId.containsKey(IDS[p]), "missing id [" + IDS[p] + "]");
      assertEquals(indexOf(p), indexById.get(IDS[p]), IDS[p]);
      assertArrayEquals(vectorOf(indexOf(p)), byId.get(IDS[p]), 0f, IDS[p]);
    }
  }

  @Test
  void anEmbeddingWithoutAnIdIsAnErrorAndNothingIsCommitted() throws IOException {
    String path = "file://" + new File(tmp, "out").getAbsolutePath();
    List<Row> moreRows = new ArrayList<>(embeddings(IDS.length).collectAsList());
    moreRows.add(RowFactory.create(99, List.of(1f, 2f, 3f)));
    Dataset<Row> tooMany = spark.createDataFrame(moreRows, embeddings(1).schema());
    try (AtomicOutput out = AtomicOutput.begin(spark.sparkContext().hadoopConfiguration(), path, false, "t2")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> EmbeddingWriter.write(tooMany, "item_idx", idIndex(), out.stagingUri("item_embeddings")));
      assertTrue(e.getMessage().contains("item_idx 99"), e.getMessage());
    }
    assertFalse(new File(tmp, "out").exists());
  }
}
