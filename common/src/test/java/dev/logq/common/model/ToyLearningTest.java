package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Loss;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.optim.Adam;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.Sgd;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * End to end on toy problems with a planted answer: a few hundred steps must cut the loss well down and
 * the towers' embeddings must retrieve the right items.
 */
class ToyLearningTest {

  private static final int CLUSTERS = 10;
  private static final int ITEMS_PER_CLUSTER = 3;
  private static final int NUM_ITEMS = CLUSTERS * ITEMS_PER_CLUSTER;
  private static final int NUM_USERS = 40;

  /** User u likes the three items of cluster u % 10; ID tower with an MLP on both sides, Adam. */
  @Test
  void idTowerLearnsEachUsersCluster() {
    ModelSpec spec = ModelSpec.builder().numUsers(NUM_USERS).numItems(NUM_ITEMS).embeddingDim(8).userMlp(16)
        .itemMlp(16).outputDim(8).l2Normalize(true).temperature(0.1).initStd(0.1).seed(5).build();
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    Optimizer adam = new Adam(0.02, 0.9, 0.999, 1e-8);
    TensorStore state = adam.newState(params);
    Loss loss = TestLosses.softmax("test-softmax");
    Random random = new Random(3);
    int n = 16;
    double first = 0;
    double last = 0;
    for (int step = 1; step <= 300; step++) {
      int[] users = new int[n];
      int[] items = new int[n];
      for (int b = 0; b < n; b++) {
        users[b] = random.nextInt(NUM_USERS);
        items[b] = (users[b] % CLUSTERS) * ITEMS_PER_CLUSTER + random.nextInt(ITEMS_PER_CLUSTER);
      }
      TensorPatch grad = new TensorPatch();
      double value = model.lossAndGradient(params, Batch.ofUsers(n, users, items), loss, null, 4,
          new SplittableRandom(step), grad);
      adam.step(params, state, grad, step);
      if (step <= 20) {
        first += value / 20;
      }
      if (step > 280) {
        last += value / 20;
      }
    }
    assertTrue(last < 0.5 * first, "mean loss " + first + " over the first 20 steps, " + last + " over the last 20");

    int[] allUsers = new int[NUM_USERS];
    for (int u = 0; u < NUM_USERS; u++) {
      allUsers[u] = u;
    }
    float[] userVectors = new float[NUM_USERS * 8];
    model.userEmbeddings(params, allUsers, null, NUM_USERS, userVectors);
    int hits = 0;
    for (int u = 0; u < NUM_USERS; u++) {
      hits += hitsInTop3(model, params, userVectors, u, u % CLUSTERS);
    }
    double recall = hits / (3.0 * NUM_USERS);
    System.out.printf("id tower: loss %.3f -> %.3f, recall@3 %.3f%n", first, last, recall);
    assertTrue(recall > 0.9, "recall@3 " + recall);
  }

  /**
   * History tower with attention: the history holds two items of a cluster (plus noise padding), the
   * target is the cluster's third item. Plain SGD.
   */
  @Test
  void historyTowerLearnsFromTheHistory() {
    int length = 4;
    ModelSpec spec = ModelSpec.builder().numUsers(0).numItems(NUM_ITEMS)
        .userTower(new HistoryTower(length, HistoryPooling.ATTENTION)).embeddingDim(8).outputDim(8)
        .l2Normalize(true).temperature(0.1).initStd(0.1).seed(6).build();
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    Optimizer sgd = new Sgd(0.5);
    TensorStore state = sgd.newState(params);
    Loss loss = TestLosses.softmax("test-softmax");
    Random random = new Random(4);
    int n = 16;
    double first = 0;
    double last = 0;
    for (int step = 1; step <= 400; step++) {
      int[] history = new int[n * length];
      int[] items = new int[n];
      for (int b = 0; b < n; b++) {
        int cluster = random.nextInt(CLUSTERS);
        int target = random.nextInt(ITEMS_PER_CLUSTER);
        items[b] = cluster * ITEMS_PER_CLUSTER + target;
        fillHistory(history, b, length, cluster, target);
      }
      TensorPatch grad = new TensorPatch();
      double value = model.lossAndGradient(params, Batch.ofHistory(n, history, items), loss, null, 0, null, grad);
      sgd.step(params, state, grad, step);
      if (step <= 20) {
        first += value / 20;
      }
      if (step > 380) {
        last += value / 20;
      }
    }
    assertTrue(last < 0.5 * first, "mean loss " + first + " over the first 20 steps, " + last + " over the last 20");

    // Each (cluster, held-out item): is the held-out item the top-1 among the items not in the history?
    int correct = 0;
    int cases = 0;
    int[] history = new int[length];
    float[] userVector = new float[8];
    for (int cluster = 0; cluster < CLUSTERS; cluster++) {
      for (int target = 0; target < ITEMS_PER_CLUSTER; target++) {
        fillHistory(history, 0, length, cluster, target);
        model.userEmbeddings(params, null, history, 1, userVector);
        int best = -1;
        float bestScore = Float.NEGATIVE_INFINITY;
        float[] itemVector = new float[8];
        for (int i = 0; i < NUM_ITEMS; i++) {
          if (i / ITEMS_PER_CLUSTER == cluster && i % ITEMS_PER_CLUSTER != target) {
            continue; // seen in the history
          }
          model.itemEmbeddings(params, new int[] {i}, 1, itemVector);
          float s = dot(userVector, 0, itemVector);
          if (s > bestScore) {
            bestScore = s;
            best = i;
          }
        }
        correct += best == cluster * ITEMS_PER_CLUSTER + target ? 1 : 0;
        cases++;
      }
    }
    System.out.printf("history tower: loss %.3f -> %.3f, %d of %d held-out items first%n", first, last, correct,
        cases);
    assertTrue(correct >= 0.9 * cases, correct + " of " + cases + " held-out items ranked first");
  }

  /** Padding, then the cluster's two non-target items. */
  private static void fillHistory(int[] history, int row, int length, int cluster, int target) {
    int at = row * length;
    history[at] = -1;
    history[at + 1] = -1;
    int pos = 2;
    for (int k = 0; k < ITEMS_PER_CLUSTER; k++) {
      if (k != target) {
        history[at + pos++] = cluster * ITEMS_PER_CLUSTER + k;
      }
    }
  }

  private static int hitsInTop3(TwoTowerModel model, TensorStore params, float[] users, int u, int cluster) {
    float[] scores = new float[NUM_ITEMS];
    float[] itemVector = new float[8];
    for (int i = 0; i < NUM_ITEMS; i++) {
      model.itemEmbeddings(params, new int[] {i}, 1, itemVector);
      scores[i] = dot(users, u * 8, itemVector);
    }
    int hits = 0;
    for (int rank = 0; rank < 3; rank++) {
      int best = 0;
      for (int i = 1; i < NUM_ITEMS; i++) {
        if (scores[i] > scores[best]) {
          best = i;
        }
      }
      hits += best / ITEMS_PER_CLUSTER == cluster ? 1 : 0;
      scores[best] = Float.NEGATIVE_INFINITY;
    }
    return hits;
  }

  private static float dot(float[] a, int off, float[] b) {
    float s = 0;
    for (int k = 0; k < b.length; k++) {
      s += a[off + k] * b[k];
    }
    return s;
  }
}
