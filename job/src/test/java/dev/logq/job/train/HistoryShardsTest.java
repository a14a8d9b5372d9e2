package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.eval.TopK;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The history tower's training examples (each row's previous L items by time) and that it learns. */
class HistoryShardsTest {

  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("HistoryShardsTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void eachExampleCarriesTheUsersPreviousItemsByTimeMostRecentLast() {
    // user 0: items 10, 11, 12, 13 at times 5, 1, 3, 9 -> by time: 11, 12, 10, 13
    // user 1: items 20, 21 at the same time 4 -> ties broken by item index: 20 then 21
    List<Row> rows = List.of(
        RowFactory.create(0, 10, 5L), RowFactory.create(0, 11, 1L), RowFactory.create(0, 12, 3L),
        RowFactory.create(0, 13, 9L), RowFactory.create(1, 21, 4L), RowFactory.create(1, 20, 4L));
    JavaRDD<TrainingShard> shards = ShardBuilder.build(spark.createDataFrame(rows, PlantedClusters.SCHEMA), 2, 2, 1L);
    Map<String, int[]> byExample = new HashMap<>();
    for (TrainingShard shard : shards.collect()) {
      for (int i = 0; i < shard.size(); i++) {
        int[] h = new int[2];
        shard.copyHistory(i, h, 0);
        byExample.put(shard.user(i) + "/" + shard.item(i), h);
      }
    }
    assertEquals(6, byExample.size());
    assertArrayEquals(new int[] {-1, -1}, byExample.get("0/11"));
    assertArrayEquals(new int[] {-1, 11}, byExample.get("0/12"));
    assertArrayEquals(new int[] {11, 12}, byExample.get("0/10"));
    assertArrayEquals(new int[] {12, 10}, byExample.get("0/13"));
    assertArrayEquals(new int[] {-1, -1}, byExample.get("1/20"));
    assertArrayEquals(new int[] {-1, 20}, byExample.get("1/21"));
  }

  @Test
  void historyTowerWithAttentionLearnsTheClusters() {
    PlantedClusters data = new PlantedClusters(240, 120, 12, 16, 3);
    int length = 5;
    ModelSpec spec = ModelSpec.builder().numUsers(data.users).numItems(data.items)
        .userTower(new HistoryTower(length, HistoryPooling.ATTENTION)).embeddingDim(16).outputDim(16).l2Normalize(true)
        .temperature(0.1).initStd(0.1).seed(5).build();
    TrainingPlan plan = new TrainingPlan(spec, "refined", true, 0, 64, 6, 2, 1, 17L, "adam", 0.02, 0.9, 0.999,
        1e-8, 0);
    JavaRDD<TrainingShard> shards = ShardBuilder.build(data.trainSet(spark), 2, length, 17L);
    TensorStore params = new DistributedTrainer(JavaSparkContext.fromSparkContext(spark.sparkContext()), plan,
        null, new Configuration()).train(shards, data.itemLogQ(), false).params();

    // Each user's last L training items (train rows are in time order per user).
    Map<Integer, List<Integer>> seq = new HashMap<>();
    for (Row r : data.train) {
      seq.computeIfAbsent(r.getInt(0), u -> new ArrayList<>()).add(r.getInt(1));
    }
    int[] history = new int[data.users * length];
    for (int u = 0; u < data.users; u++) {
      List<Integer> s = seq.get(u);
      for (int p = 0; p < length; p++) {
        int from = s.size() - length + p;
        history[u * length + p] = from >= 0 ? s.get(from) : -1;
      }
    }
    TwoTowerModel model = new TwoTowerModel(spec);
    float[] users = new float[data.users * 16];
    float[] items = new float[data.items * 16];
    int[] itemIds = new int[data.items];
    for (int i = 0; i < data.items; i++) {
      itemIds[i] = i;
    }
    model.userEmbeddings(params, null, history, data.users, users);
    model.itemEmbeddings(params, itemIds, data.items, items);
    int hits = 0;
    for (int u = 0; u < data.users; u++) {
      TopK top = new TopK(10);
      for (int i = 0; i < data.items; i++) {
        float s = 0;
        for (int k = 0; k < 16; k++) {
          s += users[u * 16 + k] * items[i * 16 + k];
        }
        top.offer(s, i);
      }
      for (int i : top.sortedItems()) {
        hits += i == data.test[u] ? 1 : 0;
      }
    }
    double recall = hits / (double) data.users;
    assertTrue(recall > 0.45, "history-tower recall@10 " + recall + " (random: " + 10.0 / data.items + ")");
  }
}
