package dev.logq.job.freq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.data.Interactions;
import dev.logq.common.error.DataException;
import dev.logq.common.freq.LogQTable;
import dev.logq.job.SparkTestSession;
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

class FrequencyTableBuilderTest {
  private static SparkSession spark;
  private static final StructType SCHEMA = new StructType()
      .add(Interactions.ITEM_INDEX, DataTypes.IntegerType).add(Interactions.WEIGHT, DataTypes.DoubleType);

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("FrequencyTableBuilderTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static Dataset<Row> rows(int[] items, double[] weights) {
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < items.length; k++) {
      rows.add(RowFactory.create(items[k], weights[k]));
    }
    return spark.createDataFrame(rows, SCHEMA).repartition(3);
  }

  @Test
  void countsRowsPerItem() {
    // counts 3, 1, 0, 4 over 4 items
    int[] items = {0, 3, 0, 1, 3, 3, 0, 3};
    LogQTable t = FrequencyTableBuilder.build(rows(items, new double[items.length]), Interactions.ITEM_INDEX, 4, null);
    assertEquals(LogQTable.fromCounts(new long[] {3, 1, 0, 4}), t);
    assertFalse(t.weighted());
    assertEquals(Math.log(3.0 / 8), t.logQ(0), 1e-15);
    assertEquals(Math.log(0.5), t.logQ(3), 1e-15);
    assertThrows(DataException.class, () -> t.logQ(2));
  }

  @Test
  void sumsWeightsWhenAsked() {
    int[] items = {0, 1, 1, 2};
    double[] weights = {0.5, 1.0, 2.0, 0.5};
    LogQTable t = FrequencyTableBuilder.build(rows(items, weights), Interactions.ITEM_INDEX, 3, Interactions.WEIGHT);
    assertTrue(t.weighted());
    assertArrayEquals(new double[] {0.5, 3.0, 0.5}, t.counts(), 0);
    assertEquals(Math.log(3.0 / 4.0), t.logQ(1), 1e-15);
  }

  @Test
  void indexOutsideTheCatalogIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FrequencyTableBuilder.build(rows(new int[] {0, 5}, new double[2]), Interactions.ITEM_INDEX, 3, null));
    assertTrue(e.getMessage().contains("item index 5 outside 0..2"), e.getMessage());
  }
}
