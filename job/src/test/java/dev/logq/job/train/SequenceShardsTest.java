package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.ShardPlacement;
import dev.logq.common.model.Batch;
import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sequence tower's training examples: windows of each user's items by time with per-slot next items. */
class SequenceShardsTest {

  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("SequenceShardsTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void windowsTileTheSequenceNewestFirst() {
    List<Integer> seq = List.of(10, 11, 12, 13, 14, 15, 16);
    List<UserHistory.SequenceWindow> w = UserHistory.windows(seq, 3, 3);
    // 6 transitions (10->11 .. 15->16), windows of 3 ending at transitions 5, 2: every transition once.
    assertEquals(2, w.size());
    assertEquals(5, w.get(0).end());
    assertArrayEquals(new int[] {13, 14, 15}, w.get(0).inputs());
    assertArrayEquals(new int[] {14, 15, 16}, w.get(0).targets());
    assertArrayEquals(new int[] {10, 11, 12}, w.get(1).inputs());
    assertArrayEquals(new int[] {11, 12, 13}, w.get(1).targets());
    // Overlapping windows (stride 2), front padding.
    List<UserHistory.SequenceWindow> o = UserHistory.windows(seq, 3, 2);
    assertEquals(List.of(5, 3, 1), o.stream().map(UserHistory.SequenceWindow::end).toList());
    assertArrayEquals(new int[] {-1, 10, 11}, o.get(2).inputs());
    assertArrayEquals(new int[] {-1, 11, 12}, o.get(2).targets());
    // A stride past the history keeps the last window only; one item gives no window.
    assertEquals(1, UserHistory.windows(seq, 3, 1000).size());
    assertEquals(0, UserHistory.windows(List.of(4), 3, 3).size());
  }

  /**
   * train.placement: auto is user for the id tower only (the others have no per-user rows to keep home); by user
   * a sequence tower's windows of one user all land on one worker, R/N users each, where by
   * example they spread.
   */
  @Test
  void placementByUserKeepsAUsersWindowsOnOneWorker() {
    var id = new dev.logq.common.model.tower.IdTower();
    var sequence = new dev.logq.common.model.tower.SequenceTower(4, 1, 2, 8, 0.0, true, 1);
    var history = new dev.logq.common.model.tower.HistoryTower(3, dev.logq.common.model.tower.HistoryPooling.MEAN);
    assertEquals(ShardPlacement.USER, ShardBuilder.resolve(ShardPlacement.AUTO, id));
    assertEquals(ShardPlacement.EXAMPLE, ShardBuilder.resolve(ShardPlacement.AUTO, sequence));
    assertEquals(ShardPlacement.EXAMPLE, ShardBuilder.resolve(ShardPlacement.AUTO, history));
    assertEquals(ShardPlacement.USER, ShardBuilder.resolve(ShardPlacement.USER, sequence));
    assertEquals(ShardPlacement.EXAMPLE, ShardBuilder.resolve(ShardPlacement.EXAMPLE, id));
    assertTrue(ShardBuilder.describe(ShardPlacement.AUTO, id).startsWith("user (auto: the id tower has a row per user"),
        ShardBuilder.describe(ShardPlacement.AUTO, id));

    // 40 users with 9 items each; windows of 4 with stride 1: 5 windows a user.
    List<Row> rows = new ArrayList<>();
    for (int u = 0; u < 40; u++) {
      for (int t = 0; t < 9; t++) {
        rows.add(RowFactory.create(u, (u + t) % 30, (long) t));
      }
    }
    var data = spark.createDataFrame(rows, PlantedClusters.SCHEMA);
    Map<Integer, java.util.Set<Integer>> byUser = workersByUser(ShardBuilder.build(data, 3, sequence, 5L,
        ShardPlacement.USER, 40).collect());
    Map<Integer, java.util.Set<Integer>> spread = workersByUser(ShardBuilder.build(data, 3, sequence, 5L,
        ShardPlacement.EXAMPLE, 40).collect());
    assertEquals(40, byUser.size());
    var ownership = new dev.logq.job.train.collective.RowOwnership(3, 5L, Map.of(ShardBuilder.VIRTUAL_USER_TABLE, 40));
    int[] users = new int[3];
    for (var e : byUser.entrySet()) {
      assertEquals(java.util.Set.of(ownership.owner(ShardBuilder.VIRTUAL_USER_TABLE, e.getKey())), e.getValue(),
          "user " + e.getKey());
      users[e.getValue().iterator().next()]++;
    }
    assertArrayEquals(new int[] {14, 13, 13}, users, "R/N users a worker, +-1");
    assertTrue(spread.values().stream().filter(w -> w.size() > 1).count() > 20, "by example a user's windows spread");
  }

  private static Map<Integer, java.util.Set<Integer>> workersByUser(List<TrainingShard> shards) {
    Map<Integer, java.util.Set<Integer>> out = new HashMap<>();
    for (TrainingShard shard : shards) {
      for (int i = 0; i < shard.size(); i++) {
        out.computeIfAbsent(shard.user(i), k -> new java.util.TreeSet<>()).add(shard.partition());
      }
    }
    return out;
  }

  @Test
  void shardsCarryEachUsersWindowsByTimeAndBatchesArePositions() {
    // user 0: items 10, 11, 12, 13 at times 5, 1, 3, 9 -> by time: 11, 12, 10, 13
    // user 1: items 20, 21 at the same time 4 -> ties broken by item index: 20 then 21
    List<Row> rows = List.of(
        RowFactory.create(0, 10, 5L), RowFactory.create(0, 11, 1L), RowFactory.create(0, 12, 3L),
        RowFactory.create(0, 13, 9L), RowFactory.create(1, 21, 4L), RowFactory.create(1, 20, 4L));
    JavaRDD<TrainingShard> shards = ShardBuilder.buildSequences(spark.createDataFrame(rows, PlantedClusters.SCHEMA),
        2, 4, 4, 1L);
    assertEquals(2, shards.getNumPartitions());
    Map<Integer, int[][]> byUser = new HashMap<>();
    List<TrainingShard> all = new ArrayList<>(shards.collect());
    for (TrainingShard shard : all) {
      assertTrue(shard.isSequence());
      for (int i = 0; i < shard.size(); i++) {
        int[] in = new int[4];
        int[] out = new int[4];
        shard.copyHistory(i, in, 0);
        shard.copyTargets(i, out, 0);
        assertEquals(out[3], shard.item(i));
        byUser.put(shard.user(i), new int[][] {in, out});
      }
    }
    assertEquals(2, byUser.size());
    assertArrayEquals(new int[] {-1, 11, 12, 10}, byUser.get(0)[0]);
    assertArrayEquals(new int[] {-1, 12, 10, 13}, byUser.get(0)[1]);
    assertArrayEquals(new int[] {-1, -1, -1, 20}, byUser.get(1)[0]);
    assertArrayEquals(new int[] {-1, -1, -1, 21}, byUser.get(1)[1]);

    // A worker's batch of windows: the loss rows are the 3 + 1 positions, their positives the next items.
    TrainingShard merged = TrainingShard.ofSequences(0, new int[] {0, 1}, new int[] {13, 21}, 4,
        concat(byUser.get(0)[0], byUser.get(1)[0]), concat(byUser.get(0)[1], byUser.get(1)[1]));
    Batch batch = Worker.batch(merged, new int[] {0, 1}, 0, 2);
    assertEquals(2, batch.windows);
    assertEquals(4, batch.size);
    assertArrayEquals(new int[] {12, 10, 13, 21}, java.util.Arrays.copyOf(batch.items, 4));
    assertArrayEquals(new int[] {1, 2, 3, 7}, batch.positions);

    // Serialisation keeps the targets.
    TrainingShard copy = org.apache.commons.lang3.SerializationUtils.roundtrip(merged);
    int[] t = new int[4];
    copy.copyTargets(1, t, 0);
    assertTrue(copy.isSequence());
    assertArrayEquals(new int[] {-1, -1, -1, 21}, t);
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
