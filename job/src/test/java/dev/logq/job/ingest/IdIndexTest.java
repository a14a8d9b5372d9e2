package dev.logq.job.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.data.Interactions;
import dev.logq.common.error.DataException;
import dev.logq.job.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

class IdIndexTest {
  private static SparkSession spark;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("IdIndexTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static Dataset<Row> data(String... items) {
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < items.length; k++) {
      rows.add(RowFactory.create("u" + (k % 3), items[k], (long) k, 1.0));
    }
    return spark.createDataFrame(rows, InteractionReader.SCHEMA).repartition(3);
  }

  @Test
  void orderedByFrequencyThenIdAndDense() {
    // counts: b 3, a 2, 10 2, 9 1, c 1 -> b, 10, a ("10" < "a"), 9, c ("9" < "c")
    IdIndex index = IdIndex.build(data("a", "b", "c", "b", "a", "b", "10", "9", "10"), Interactions.ITEM);
    assertEquals(5, index.size());
    assertArrayEquals(new String[] {"b", "10", "a", "9", "c"}, index.toArray());
    // same data, different partitioning: same index
    IdIndex again = IdIndex.build(data("a", "b", "c", "b", "a", "b", "10", "9", "10").repartition(1), Interactions.ITEM);
    assertArrayEquals(index.toArray(), again.toArray());
  }

  @Test
  void saveLoadRoundTripAndApply() {
    IdIndex index = IdIndex.build(data("x", "y", "y", "z"), Interactions.ITEM);
    String path = dir.resolve("items").toString();
    index.save(path, false);
    IdIndex back = IdIndex.load(spark, path);
    assertArrayEquals(index.toArray(), back.toArray());
    assertEquals("struct<original_id:string,index:int>", spark.read().parquet(path).schema().simpleString());
    assertThrows(Exception.class, () -> index.save(path, false));  // exists
    index.save(path, true);

    Dataset<Row> withIndex = back.apply(data("y", "z", "unknown"), Interactions.ITEM, Interactions.ITEM_INDEX);
    List<Row> rows = withIndex.orderBy(Interactions.ITEM).collectAsList();
    assertEquals(2, rows.size());  // the unknown id is dropped
    assertEquals("y", rows.get(0).getAs(Interactions.ITEM));
    assertEquals(0, (int) rows.get(0).getAs(Interactions.ITEM_INDEX));
    assertEquals(2, (int) rows.get(1).getAs(Interactions.ITEM_INDEX));  // z after x ("x" < "z", both count 1)
  }

  @Test
  void corruptIndexIsRejected() {
    StructType schema = new StructType().add("original_id", DataTypes.StringType).add("index", DataTypes.IntegerType);
    String gap = dir.resolve("gap").toString();
    spark.createDataFrame(List.of(RowFactory.create("a", 0), RowFactory.create("b", 2)), schema).write().parquet(gap);
    DataException e = assertThrows(DataException.class, () -> IdIndex.load(spark, gap));
    assertTrue(e.getMessage().contains("corrupt id index") && e.getMessage().contains("gap"), e.getMessage());
    String wrong = dir.resolve("wrong").toString();
    spark.createDataFrame(List.of(RowFactory.create("a", 0)), new StructType().add("id", DataTypes.StringType)
        .add("index", DataTypes.IntegerType)).write().parquet(wrong);
    DataException w = assertThrows(DataException.class, () -> IdIndex.load(spark, wrong));
    assertTrue(w.getMessage().contains("expected columns [original_id, index]"), w.getMessage());
  }

}
