package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.job.split.SplitSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** split.testUsers: a seeded sample of whole test users, independent of partitioning, columns kept. */
class TestUserSampleTest {

  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("TestUserSampleTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void keepsEveryPairOfTheSampledUsersAndNothingElse() {
    StructType schema = new StructType().add(Interactions.USER_INDEX, DataTypes.IntegerType)
        .add(Interactions.ITEM_INDEX, DataTypes.IntegerType).add("ts", DataTypes.LongType);
    List<Row> rows = new ArrayList<>();
    for (int u = 0; u < 50; u++) {
      rows.add(RowFactory.create(u, u % 7, 10L * u));
      rows.add(RowFactory.create(u, (u + 3) % 7, 10L * u + 1));
    }
    Dataset<Row> test = spark.createDataFrame(rows, schema);
    SplitSettings all = SplitSettings.of(JobConfig.load(null, List.of()));
    assertSame(test, IndexStep.sampleTestUsers(test, all), "0: every test user");

    SplitSettings ten = SplitSettings.of(JobConfig.load(null, List.of("split.testUsers=10")));
    Dataset<Row> sampled = IndexStep.sampleTestUsers(test, ten);
    assertArrayEquals(test.columns(), sampled.columns(), "the test split's columns, in order");
    Map<Integer, Integer> pairsPerUser = pairsPerUser(sampled);
    assertEquals(10, pairsPerUser.size());
    pairsPerUser.values().forEach(n -> assertEquals(2, n, "a sampled user keeps all its test pairs"));
    assertEquals(pairsPerUser.keySet(), pairsPerUser(IndexStep.sampleTestUsers(test.repartition(5), ten)).keySet(),
        "the same users on any partitioning");
  }

  private static Map<Integer, Integer> pairsPerUser(Dataset<Row> d) {
    Map<Integer, Integer> m = new TreeMap<>();
    for (Row r : d.collectAsList()) {
      m.merge(r.getInt(0), 1, Integer::sum);
    }
    return m;
  }
}
