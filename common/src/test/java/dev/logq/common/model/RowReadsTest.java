package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Loss;
import dev.logq.common.loss.Losses;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.SequenceTower;
import dev.logq.common.model.tower.UserTower;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TwoTowerModel#rowsRead} names exactly what a step reads: with every other row of every table set to NaN
 * the step gives the same loss and gradient bit for bit, for every tower and every loss, with and without extra
 * uniform negatives. This is what lets a collective worker fetch only those rows before a step.
 */
class RowReadsTest {

  private static final int USERS = 40;
  private static final int ITEMS = 60;
  private static final int D = 8;
  private static final int L = 6;

  @Test
  void collectsSortedDistinctIdsAndSkipsPadding() {
    Map<String, int[]> built = new RowReads().add("a", new int[] {5, -1, 3, 5, 9}, 5).add("b", new int[] {-1}, 1)
        .add("a", new int[] {3, 1, 7}, 2).build();
    assertArrayEquals(new int[] {1, 3, 5, 9}, built.get("a"));
    assertEquals(List.of("a"), List.copyOf(built.keySet()), "a table with only padding is left out");
  }

  @Test
  void aStepReadsNoOtherRowOnAnyTower() {
    List<UserTower> towers = List.of(new dev.logq.common.model.tower.IdTower(),
        new HistoryTower(L, HistoryPooling.MEAN), new HistoryTower(L, HistoryPooling.ATTENTION),
        new SequenceTower(L, 1, 2, 12, 0.2, true, 0), new SequenceTower(L, 1, 1, 0, 0.0, false, 0));
    int checked = 0;
    for (UserTower tower : towers) {
      ModelSpec spec = ModelSpec.builder().numUsers(USERS).numItems(ITEMS).userTower(tower).embeddingDim(D)
          .userMlp(10).outputDim(D).l2Normalize(true).temperature(0.2).seed(3).build();
      TwoTowerModel model = new TwoTowerModel(spec);
      TensorStore params = TwoTowerModel.initialParameters(spec);
      Batch batch = batch(tower, new SplittableRandom(tower.hashCode()));
      double[] logQ = new double[ITEMS];
      Arrays.fill(logQ, Math.log(1.0 / ITEMS));
      for (String name : Losses.NAMES) {
        for (int extra : new int[] {0, 5}) {
          Loss loss = Losses.byName(name, true);
          String what = tower.name() + " " + tower.settings() + ", " + name + ", " + extra + " uniform negatives";
          Map<String, int[]> reads = model.rowsRead(batch, loss, extra, new SplittableRandom(17));
          TensorPatch clean = new TensorPatch();
          double cleanLoss = model.lossAndGradient(params, batch, loss, logQ, extra, new SplittableRandom(17), clean);
          TensorPatch poisoned = new TensorPatch();
          double poisonedLoss = model.lossAndGradient(poisonOthers(params, reads), batch, loss, logQ, extra,
              new SplittableRandom(17), poisoned);
          assertEquals(Double.doubleToRawLongBits(cleanLoss), Double.doubleToRawLongBits(poisonedLoss), what);
          assertTrue(clean.bitwiseEquals(poisoned), what + ": gradient");
          // Every row read gets a gradient row and no other does: a pulled row is written by the step that
          // reads it, so a pulling worker writes the chunks the rounds backend's master writes.
          assertEquals(reads.keySet(), clean.tableNames(), what + ": tables");
          for (String table : clean.tableNames()) {
            assertArrayEquals(reads.get(table), clean.rows(table).rowIds(), what + ": " + table);
          }
          checked++;
        }
      }
    }
    assertEquals(5 * Losses.NAMES.size() * 2, checked);
  }

  @Test
  void aGlobalRoundIsRefused() {
    ModelSpec spec = ModelSpec.builder().numUsers(USERS).numItems(ITEMS).embeddingDim(D).outputDim(D).seed(3)
        .build();
    Batch batch = Batch.ofUsers(2, new int[] {1, 2}, new int[] {3, 4}).inRound(new int[] {3, 4, 5}, 0);
    assertThrows(IllegalArgumentException.class, () -> new TwoTowerModel(spec).rowsRead(batch,
        Losses.byName("standard", true), 0, new SplittableRandom(1)));
  }

  /** A copy of {@code params} in which every row outside {@code reads} is NaN. */
  private static TensorStore poisonOthers(TensorStore params, Map<String, int[]> reads) {
    TensorStore copy = params.copy();
    for (String name : copy.tableNames()) {
      EmbeddingTable table = copy.table(name);
      int[] keep = reads.getOrDefault(name, new int[0]);
      float[] nan = new float[table.dim()];
      Arrays.fill(nan, Float.NaN);
      for (int r = 0; r < table.rows(); r++) {
        if (Arrays.binarySearch(keep, r) < 0) {
          table.writeRow(r, nan, 0);
        }
      }
    }
    return copy;
  }

  /** 12 examples (ID and history towers) or 4 windows (sequence), items skewed so the batch repeats some. */
  private static Batch batch(UserTower tower, SplittableRandom r) {
    int n = 12;
    int[] items = new int[n];
    int[] users = new int[n];
    int[] history = new int[n * L];
    for (int b = 0; b < n; b++) {
      items[b] = (int) (ITEMS * Math.pow(r.nextDouble(), 2));
      users[b] = r.nextInt(USERS);
      for (int l = 0; l < L; l++) {
        history[b * L + l] = l < b % 3 ? -1 : r.nextInt(ITEMS);
      }
    }
    if (tower instanceof SequenceTower) {
      int windows = 4;
      int[] sequence = Arrays.copyOf(history, windows * L);
      int[] targets = new int[windows * L];
      for (int t = 0; t < targets.length; t++) {
        targets[t] = sequence[t] < 0 || t % L == L - 1 && t % 2 == 0 ? -1 : (int) (ITEMS * Math.pow(r.nextDouble(), 2));
      }
      return Batch.ofSequences(windows, L, sequence, targets);
    }
    return tower instanceof HistoryTower ? Batch.ofHistory(n, history, items) : Batch.ofUsers(n, users, items);
  }
}
