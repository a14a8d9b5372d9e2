package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Loss;
import dev.logq.common.loss.NoCorrection;
import dev.logq.common.model.Batch;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.IdTower;
import dev.logq.common.model.tower.UserTower;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.optim.Adam;
import dev.logq.common.optim.Optimizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A planted sequential task: every user's items follow one hidden Markov chain over the catalog (each item has
 * a few likely successors, drawn at random so that the walk spreads over the catalog), so the next item depends
 * on the last item, not on who the user is. The sequence tower, trained on every position, must clearly beat the
 * ID tower and the pooled (mean) HISTORY tower trained on the same interactions with the same budget (epochs,
 * optimizer, learning rate, dimension, temperature). Metric: Recall@10 of each user's held-out last item over
 * the full catalog (nothing filtered).
 */
class SequenceMarkovTest {

  static final int NUM_ITEMS = 200;
  static final int NUM_USERS = 300;
  /** Items per user; the last one is held out. */
  static final int SEQUENCE = 25;
  static final int TRAIN = SEQUENCE - 1;
  static final int SUCCESSORS = 4;
  /** Probability that a step follows one of the item's successors (uniformly); otherwise any item. */
  static final double FOLLOW = 0.9;
  static final int DIM = 32;
  static final double TAU = 0.1;
  static final double LR = 0.01;
  static final int EPOCHS = 12;
  static final int TOP = 10;

  /** users x SEQUENCE items. */
  static int[][] sequences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[][] successors = new int[NUM_ITEMS][SUCCESSORS];
    for (int i = 0; i < NUM_ITEMS; i++) {
      for (int s = 0; s < SUCCESSORS; s++) {
        successors[i][s] = r.nextInt(NUM_ITEMS);
      }
    }
    int[][] seqs = new int[NUM_USERS][SEQUENCE];
    for (int u = 0; u < NUM_USERS; u++) {
      int item = r.nextInt(NUM_ITEMS);
      for (int t = 0; t < SEQUENCE; t++) {
        seqs[u][t] = item;
        item = r.nextDouble() < FOLLOW ? successors[item][r.nextInt(SUCCESSORS)] : r.nextInt(NUM_ITEMS);
      }
    }
    return seqs;
  }

  @Test
  void sequenceTowerBeatsIdAndPooledHistoryOnAMarkovChain() {
    int[][] seqs = sequences(2024);
    long start = System.nanoTime();
    double sequence = sequenceRecall(seqs);
    long mid = System.nanoTime();
    double id = twoTowerRecall(seqs, new IdTower());
    double history = twoTowerRecall(seqs, new HistoryTower(20, HistoryPooling.MEAN));
    long end = System.nanoTime();
    System.out.printf("Markov task Recall@%d: sequence %.4f, id %.4f, history(mean, L=20) %.4f; "
        + "sequence %.1f s, id + history %.1f s%n", TOP, sequence, id, history, (mid - start) / 1e9,
        (end - mid) / 1e9);
    // Measured (data seeds 2024, 1, 2): sequence 0.877 / 0.910 / 0.910 (the chain's ceiling is about 0.905),
    // id 0.077 / 0.037 / 0.063, history 0.240 / 0.250 / 0.257; at 40 epochs instead of 12: 0.893, 0.067, 0.243
    // (the baselines have converged, they are not just slower). Asserted with headroom: 2x the better baseline.
    double better = Math.max(id, history);
    assertTrue(sequence >= 0.6, "sequence tower Recall@10 " + sequence + " (the chain allows about 0.9)");
    assertTrue(sequence >= 2.0 * better, "sequence " + sequence + " vs the better of id " + id + " and history "
        + history);
  }

  /** The sequence tower on every position of each user's training items; evaluated at the last slot. */
  static double sequenceRecall(int[][] seqs) {
    int length = TRAIN;
    SequenceModel model = new SequenceModel(SequenceModel.builder().numItems(NUM_ITEMS).length(length).dim(DIM)
        .blocks(1).heads(1).hidden(DIM).dropout(0.1).l2Normalize(true).temperature(TAU).seed(3).build());
    TensorStore params = model.initialParameters();
    Optimizer adam = new Adam(LR, 0.9, 0.999, 1e-8);
    TensorStore state = adam.newState(params);
    Loss loss = new NoCorrection();
    int batch = 16;
    int[] order = identity(NUM_USERS);
    SplittableRandom rng = new SplittableRandom(5);
    long step = 0;
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      shuffle(order, rng);
      for (int from = 0; from < NUM_USERS; from += batch) {
        int b = Math.min(batch, NUM_USERS - from);
        int[] items = new int[b * length];
        for (int i = 0; i < b; i++) {
          System.arraycopy(seqs[order[from + i]], 0, items, i * length, TRAIN);
        }
        int[] targets = SequenceModel.shiftedTargets(items, b, length, null);
        TensorPatch grad = new TensorPatch();
        model.lossAndGradient(params, items, targets, b, loss, null, 0, 0, rng, grad);
        adam.step(params, state, grad, ++step);
      }
    }
    int[] windows = new int[NUM_USERS * length];
    for (int u = 0; u < NUM_USERS; u++) {
      System.arraycopy(seqs[u], 0, windows, u * length, TRAIN);
    }
    float[] users = new float[NUM_USERS * DIM];
    model.userEmbeddings(params, windows, NUM_USERS, users);
    float[] items = new float[NUM_ITEMS * DIM];
    model.itemEmbeddings(params, identity(NUM_ITEMS), NUM_ITEMS, items);
    return recall(users, items, seqs);
  }

  /**
   * The ID or the mean-pooled HISTORY tower (L = 20) on the same (user, item) interactions, same epochs and
   * optimizer. Kept in one method so the ModelSpec / TwoTowerModel refactor has one place to adapt.
   */
  static double twoTowerRecall(int[][] seqs, UserTower tower) {
    int historyLength = 20;
    ModelSpec spec = ModelSpec.builder().numUsers(NUM_USERS).numItems(NUM_ITEMS).userTower(tower)
        .embeddingDim(DIM).outputDim(DIM).l2Normalize(true).temperature(TAU)
        .seed(3).build();
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    Optimizer adam = new Adam(LR, 0.9, 0.999, 1e-8);
    TensorStore state = adam.newState(params);
    Loss loss = new NoCorrection();
    int pairs = NUM_USERS * TRAIN;
    int[] order = identity(pairs);
    int batch = 16 * (TRAIN - 1);
    SplittableRandom rng = new SplittableRandom(5);
    long step = 0;
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
      shuffle(order, rng);
      for (int from = 0; from < pairs; from += batch) {
        int n = Math.min(batch, pairs - from);
        int[] users = new int[n];
        int[] items = new int[n];
        int[] history = tower instanceof HistoryTower ? new int[n * historyLength] : null;
        for (int b = 0; b < n; b++) {
          int u = order[from + b] / TRAIN;
          int t = order[from + b] % TRAIN;
          users[b] = u;
          items[b] = seqs[u][t];
          if (history != null) {
            fillHistory(seqs[u], t, historyLength, history, b * historyLength);
          }
        }
        Batch data = tower instanceof IdTower ? Batch.ofUsers(n, users, items) : Batch.ofHistory(n, history, items);
        TensorPatch grad = new TensorPatch();
        model.lossAndGradient(params, data, loss, null, 0, rng, grad);
        adam.step(params, state, grad, ++step);
      }
    }
    int[] allUsers = identity(NUM_USERS);
    int[] histories = new int[NUM_USERS * historyLength];
    for (int u = 0; u < NUM_USERS; u++) {
      fillHistory(seqs[u], TRAIN, historyLength, histories, u * historyLength);
    }
    float[] users = new float[NUM_USERS * DIM];
    model.userEmbeddings(params, allUsers, tower instanceof HistoryTower ? histories : null, NUM_USERS, users);
    float[] items = new float[NUM_ITEMS * DIM];
    model.itemEmbeddings(params, identity(NUM_ITEMS), NUM_ITEMS, items);
    return recall(users, items, seqs);
  }

  /** The (up to) {@code length} items before position t, most recent last, front padded with -1. */
  private static void fillHistory(int[] seq, int t, int length, int[] out, int off) {
    for (int l = 0; l < length; l++) {
      int src = t - length + l;
      out[off + l] = src >= 0 ? seq[src] : -1;
    }
  }

  /** Share of users whose held-out last item is among the top TOP items by score over the full catalog. */
  private static double recall(float[] users, float[] items, int[][] seqs) {
    int hits = 0;
    for (int u = 0; u < NUM_USERS; u++) {
      int target = seqs[u][TRAIN];
      double targetScore = score(users, u, items, target);
      int above = 0;
      for (int i = 0; i < NUM_ITEMS; i++) {
        if (i != target && score(users, u, items, i) > targetScore) {
          above++;
        }
      }
      hits += above < TOP ? 1 : 0;
    }
    return (double) hits / NUM_USERS;
  }

  private static double score(float[] users, int u, float[] items, int i) {
    double s = 0;
    for (int k = 0; k < DIM; k++) {
      s += (double) users[u * DIM + k] * items[i * DIM + k];
    }
    return s;
  }

  private static int[] identity(int n) {
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
    }
    return x;
  }

  private static void shuffle(int[] a, SplittableRandom r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
