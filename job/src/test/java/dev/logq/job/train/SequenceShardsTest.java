package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
