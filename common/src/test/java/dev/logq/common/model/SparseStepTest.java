package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Loss;
import dev.logq.common.optim.Adam;
import dev.logq.common.optim.Optimizer;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A training step touches only the batch's rows: gradients and optimizer updates name just those rows,
 * untouched chunks are never allocated, and the step time of a 10-million-item catalog matches that of a
 * 10-thousand-item one.
 */
class SparseStepTest {

  private static final int BATCH = 256;
  private static final int BATCHES = 16;
  private static final int DIM = 8;
  /** Batch items come from this many chunks, spread evenly over the catalog. */
  private static final int POOL_CHUNKS = 48;

  /** One catalog size: parameters, optimizer state and a fixed set of batches. */
  private static final class Setup {
    final TwoTowerModel model;
    final TensorStore params;
    final Optimizer optimizer = new Adam(0.01, 0.9, 0.999, 1e-8);
    final TensorStore state;
    final Batch[] batches = new Batch[BATCHES];
    final Loss loss = TestLosses.softmax("test-softmax");
    long step;

    Setup(int numItems) {
      ModelSpec spec = ModelSpec.builder().numUsers(5_000).numItems(numItems).embeddingDim(DIM).outputDim(DIM)
          .l2Normalize(true).temperature(0.1).seed(1).build();
      model = new TwoTowerModel(spec);
      params = TwoTowerModel.initialParameters(spec);
      state = optimizer.newState(params);
      int chunkRows = params.table(TwoTowerModel.ITEM_EMBEDDING).chunkRows();
      int chunks = params.table(TwoTowerModel.ITEM_EMBEDDING).chunkCount();
      Random random = new Random(2);
      for (int t = 0; t < BATCHES; t++) {
        int[] users = new int[BATCH];
        int[] items = new int[BATCH];
        for (int b = 0; b < BATCH; b++) {
          users[b] = random.nextInt(5_000);
          int chunk = (int) ((long) random.nextInt(POOL_CHUNKS) * chunks / POOL_CHUNKS);
          int first = chunk * chunkRows;
          items[b] = first + random.nextInt(Math.min(chunkRows, numItems - first));
        }
        batches[t] = Batch.ofUsers(BATCH, users, items);
      }
    }

    TensorPatch step(Batch batch) {
      TensorPatch grad = new TensorPatch();
      model.lossAndGradient(params, batch, loss, null, 0, new SplittableRandom(step), grad);
      optimizer.step(params, state, grad, ++step);
      return grad;
    }

    /** Nanoseconds for one pass over the batches. */
    long pass() {
      long start = System.nanoTime();
      for (Batch batch : batches) {
        step(batch);
      }
      return System.nanoTime() - start;
    }
  }

  @Test
  void gradientNamesOnlyTheBatchRows() {
    Setup setup = new Setup(10_000_000);
    Batch batch = setup.batches[0];
    TensorPatch grad = new TensorPatch();
    setup.model.lossAndGradient(setup.params, batch, setup.loss, null, 0, new SplittableRandom(1), grad);
    TreeSet<Integer> items = new TreeSet<>();
    TreeSet<Integer> users = new TreeSet<>();
    for (int b = 0; b < BATCH; b++) {
      items.add(batch.items[b]);
      users.add(batch.users[b]);
    }
    int[] expectedItems = items.stream().mapToInt(Integer::intValue).toArray();
    org.junit.jupiter.api.Assertions.assertArrayEquals(expectedItems,
        grad.rows(TwoTowerModel.ITEM_EMBEDDING).rowIds());
    assertEquals(users.size(), grad.rows(TwoTowerModel.USER_EMBEDDING).size());
    // The gradient is a few tens of KB, not the 320 MB of the item table.
    assertTrue(grad.sizeInBytes() < 100_000, "gradient of " + grad.sizeInBytes() + " bytes");

    TensorPatch newValues = setup.optimizer.step(setup.params, setup.state, grad, 1);
    org.junit.jupiter.api.Assertions.assertArrayEquals(expectedItems,
        newValues.rows(TwoTowerModel.ITEM_EMBEDDING).rowIds());
    EmbeddingTable table = setup.params.table(TwoTowerModel.ITEM_EMBEDDING);
    assertTrue(table.materializedChunks() <= POOL_CHUNKS,
        table.materializedChunks() + " of " + table.chunkCount() + " chunks allocated");
    assertTrue(setup.state.table("adam.m/" + TwoTowerModel.ITEM_EMBEDDING).materializedChunks() <= POOL_CHUNKS);
  }

  @Test
  void stepTimeDoesNotDependOnCatalogSize() {
    Setup small = new Setup(10_000);
    Setup large = new Setup(10_000_000);
    // Warm up the JIT and materialise the chunks the batches touch.
    for (int i = 0; i < 2; i++) {
      small.pass();
      large.pass();
    }
    long bestSmall = Long.MAX_VALUE;
    long bestLarge = Long.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      bestSmall = Math.min(bestSmall, small.pass());
      bestLarge = Math.min(bestLarge, large.pass());
    }
    double ratio = (double) bestLarge / bestSmall;
    System.out.printf("step (model + Adam, batch %d, dim %d): %d us at 1e4 items, %d us at 1e7 items, ratio %.2f%n",
        BATCH, DIM, bestSmall / BATCHES / 1000, bestLarge / BATCHES / 1000, ratio);
    assertTrue(ratio < 2.5, String.format("1e7-item step %.2fx the 1e4-item step (%d vs %d us)", ratio,
        bestLarge / BATCHES / 1000, bestSmall / BATCHES / 1000));
    EmbeddingTable table = large.params.table(TwoTowerModel.ITEM_EMBEDDING);
    assertTrue(table.materializedChunks() <= POOL_CHUNKS, "untouched chunks stay unallocated");
  }
}
