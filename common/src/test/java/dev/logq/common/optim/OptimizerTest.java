package dev.logq.common.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import org.junit.jupiter.api.Test;

/** Optimizer updates against values computed by hand (the numbers in comments). */
class OptimizerTest {

  private static final double TOL = 1e-6;

  /** Table "e" with 2 rows of dim 1: row 0 = 1.0, row 1 = -2.0; dense "w" = [0.5]. */
  private static TensorStore params() {
    TensorStore params = new TensorStore();
    EmbeddingTable table = params.addTable("e", 2, 1, TableInit.zeros());
    table.writeRow(0, new float[] {1.0f}, 0);
    table.writeRow(1, new float[] {-2.0f}, 0);
    params.putDense("w", new float[] {0.5f});
    return params;
  }

  private static TensorPatch grad(int[] rows, float[] values, float[] dense) {
    TensorPatch grad = new TensorPatch().putRows("e", new SparseRows(1, rows, values));
    if (dense != null) {
      grad.putDense("w", dense);
    }
    return grad;
  }

  /**
   * A step over many rows gives every row the bits of a step over that row alone (the step updates the touched
   * rows side by side in one loop; at dim 7 Adam's 4-lane vector loop runs across row boundaries).
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"adam,7", "adam,64", "adagrad,7", "sgd,64"})
  void manyRowsAtOnceGiveEachRowItsOwnBits(String name, int dim) {
    Optimizer opt = Optimizers.create(name, 0.01, 0.9, 0.999, 1e-8);
    int tableRows = 5000;
    int[] ids = new int[300];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i * 16 + (i % 5); // scattered and strictly increasing, across several chunks
    }
    java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
    TensorStore together = new TensorStore();
    together.addTable("e", tableRows, dim, TableInit.gaussian(3L, 0.5));
    TensorStore alone = new TensorStore();
    alone.addTable("e", tableRows, dim, TableInit.gaussian(3L, 0.5));
    TensorStore togetherState = opt.newState(together);
    TensorStore aloneState = opt.newState(alone);
    for (int step = 1; step <= 3; step++) {
      float[] values = new float[ids.length * dim];
      for (int k = 0; k < values.length; k++) {
        values[k] = (float) (rng.nextDouble() - 0.5);
      }
      opt.step(together, togetherState, new TensorPatch().putRows("e", new SparseRows(dim, ids, values)), step);
      for (int i = 0; i < ids.length; i++) {
        float[] one = java.util.Arrays.copyOfRange(values, i * dim, (i + 1) * dim);
        opt.step(alone, aloneState, new TensorPatch().putRows("e", new SparseRows(dim, new int[] {ids[i]}, one)),
            step);
      }
    }
    assertTrue(together.table("e").bitwiseEquals(alone.table("e")), name + " parameters, dim " + dim);
    for (String slot : togetherState.tableNames()) {
      assertTrue(togetherState.table(slot).bitwiseEquals(aloneState.table(slot)), name + " " + slot + ", dim " + dim);
    }
  }

  /**
   * Rows held at other indices of a smaller store (an owner's compact shard, {@link StoreRows}) get the bits of the
   * same steps on a store that holds them at their ids, the returned rows keep the gradient's ids, and a row the
   * store does not hold fails before anything changes.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"adam", "adagrad", "sgd"})
  void rowsHeldElsewhereGetTheBitsOfAStepAtTheirIds(String name) {
    Optimizer opt = Optimizers.create(name, 0.01, 0.9, 0.999, 1e-8);
    int dim = 9;
    int[] held = {3, 17, 18, 250, 640, 999}; // global ids; compact row l holds held[held.length - 1 - l]
    TensorStore full = new TensorStore();
    full.addTable("e", 1000, dim, TableInit.gaussian(5L, 0.5));
    full.putDense("w", new float[] {0.5f, -0.25f});
    TensorStore compact = new TensorStore();
    EmbeddingTable local = compact.addTable("e", held.length, dim, TableInit.zeros());
    compact.putDense("w", new float[] {0.5f, -0.25f});
    float[] row = new float[dim];
    for (int l = 0; l < held.length; l++) {
      full.table("e").readRow(held[held.length - 1 - l], row, 0);
      local.writeRow(l, row, 0);
    }
    StoreRows at = table -> id -> {
      for (int l = 0; l < held.length; l++) {
        if (held[held.length - 1 - l] == id) {
          return l;
        }
      }
      throw new IllegalArgumentException("row " + id + " is not held");
    };
    TensorStore fullState = opt.newState(full);
    TensorStore compactState = opt.newState(compact);
    java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
    int[][] touched = {{3, 18, 999}, {17, 18, 250, 640}, {3, 17, 18, 250, 640, 999}};
    for (int step = 1; step <= touched.length; step++) {
      float[] values = new float[touched[step - 1].length * dim];
      for (int k = 0; k < values.length; k++) {
        values[k] = (float) (rng.nextDouble() - 0.5);
      }
      float[] dense = {0.1f * step, -0.2f};
      TensorPatch a = opt.step(full, fullState, new TensorPatch().putRows("e",
          new SparseRows(dim, touched[step - 1], values.clone())).putDense("w", dense.clone()), step);
      TensorPatch b = opt.step(compact, compactState, new TensorPatch().putRows("e",
          new SparseRows(dim, touched[step - 1], values.clone())).putDense("w", dense.clone()), step, at);
      assertArrayEquals(a.rows("e").rowIds(), b.rows("e").rowIds(), name + " step " + step + ": the gradient's ids");
      float[] va = new float[a.rows("e").size() * dim];
      float[] vb = new float[va.length];
      a.rows("e").copyAll(va, 0);
      b.rows("e").copyAll(vb, 0);
      assertArrayEquals(va, vb, name + " step " + step + ": new values");
      assertArrayEquals(a.dense("w"), b.dense("w"), name + " step " + step + ": dense");
    }
    float[] other = new float[dim];
    for (int l = 0; l < held.length; l++) {
      int id = held[held.length - 1 - l];
      full.table("e").readRow(id, row, 0);
      local.readRow(l, other, 0);
      assertArrayEquals(row, other, name + ": row " + id);
      for (String slot : fullState.tableNames()) {
        fullState.table(slot).readRow(id, row, 0);
        compactState.table(slot).readRow(l, other, 0);
        assertArrayEquals(row, other, name + " " + slot + ": row " + id);
      }
    }
    TensorStore before = compact.copy();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.stepRows(compact,
        compactState, new TensorPatch().putRows("e", new SparseRows(dim, new int[] {3, 4}, new float[2 * dim])), 4,
        at));
    assertTrue(e.getMessage().contains("row 4 is not held"), e.getMessage());
    assertTrue(before.table("e").bitwiseEquals(compact.table("e")), name + ": a row not held changes nothing");
  }

  /**
   * A round's rows stepped in two calls, the dense tensors in the first only (step, then stepRows), give the bits
   * of one step of everything: what an owner does when it answers the rows its peers read before the rest.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"adam", "adagrad", "sgd"})
  void stepRowsAfterAStepOfTheOtherRowsIsOneStepOfAll(String name) {
    Optimizer opt = Optimizers.create(name, 0.01, 0.9, 0.999, 1e-8);
    TensorStore once = params();
    TensorStore split = params();
    TensorStore onceState = opt.newState(once);
    TensorStore splitState = opt.newState(split);
    for (int step = 1; step <= 3; step++) {
      float g0 = 0.25f * step;
      float g1 = -0.5f / step;
      float[] dense = step == 2 ? null : new float[] {0.1f * step}; // step 2: no dense gradient, it moves anyway
      opt.step(once, onceState, grad(new int[] {0, 1}, new float[] {g0, g1}, dense), step);
      opt.step(split, splitState, grad(new int[] {1}, new float[] {g1}, dense), step);
      opt.stepRows(split, splitState, grad(new int[] {0}, new float[] {g0}, null), step);
    }
    assertTrue(once.table("e").bitwiseEquals(split.table("e")), name + " rows");
    assertArrayEquals(once.dense("w"), split.dense("w"), name + " dense, stepped once per round");
    for (String slot : onceState.tableNames()) {
      assertTrue(onceState.table(slot).bitwiseEquals(splitState.table(slot)), name + " " + slot);
    }
    for (String slot : onceState.denseNames()) {
      assertArrayEquals(onceState.dense(slot), splitState.dense(slot), name + " " + slot);
    }
    assertThrows(IllegalArgumentException.class, () -> opt.stepRows(split, splitState,
        grad(new int[] {0}, new float[] {1f}, new float[] {1f}), 4), "a rows-only step refuses dense gradients");
  }

  @Test
  void adamTwoStepsLazyRows() {
    Adam adam = new Adam(0.1, 0.9, 0.999, 1e-8);
    TensorStore params = params();
    TensorStore state = adam.newState(params);

    // Step 1, g = (0.5, -1.0), dense 0.2:
    // row 0: m = 0.05, v = 2.5e-4, m^ = 0.5, v^ = 0.25, p = 1 - 0.1 * 0.5 / 0.5 = 0.9
    // row 1: m = -0.1, v = 1e-3, m^ = -1, v^ = 1, p = -2 + 0.1 = -1.9
    // w: m = 0.02, v = 4e-5, m^ = 0.2, v^ = 0.04, p = 0.5 - 0.1 * 0.2 / 0.2 = 0.4
    TensorPatch newValues = adam.step(params, state, grad(new int[] {0, 1}, new float[] {0.5f, -1.0f},
        new float[] {0.2f}), 1);
    assertEquals(0.9, params.table("e").get(0, 0), TOL);
    assertEquals(-1.9, params.table("e").get(1, 0), TOL);
    assertEquals(0.4, params.dense("w")[0], TOL);
    assertEquals(0.05, state.table("adam.m/e").get(0, 0), TOL);
    assertEquals(2.5e-4, state.table("adam.v/e").get(0, 0), 1e-10);
    assertEquals(-0.1, state.table("adam.m/e").get(1, 0), TOL);
    assertEquals(1e-3, state.table("adam.v/e").get(1, 0), 1e-10);
    assertArrayEquals(new int[] {0, 1}, newValues.rows("e").rowIds());
    assertEquals(params.table("e").get(1, 0), newValues.rows("e").get(1, 0));
    assertEquals(params.dense("w")[0], newValues.dense("w")[0]);

    float row1Param = params.table("e").get(1, 0);
    float row1M = state.table("adam.m/e").get(1, 0);
    float row1V = state.table("adam.v/e").get(1, 0);

    // Step 2, gradient only for row 0 (0.3), none for w:
    // row 0: m = 0.075, v = 3.3975e-4, bias corrections 0.19 and 0.001999,
    //        p = 0.9 - 0.1 * (0.075 / 0.19) / sqrt(3.3975e-4 / 0.001999) = 0.80425099
    // w (zero gradient, standard Adam keeps moving): m = 0.018, v = 3.996e-5, p = 0.33299418
    // row 1: no gradient, so neither its value nor its moments change (lazy).
    TensorPatch second = adam.step(params, state, grad(new int[] {0}, new float[] {0.3f}, null), 2);
    assertEquals(0.80425099, params.table("e").get(0, 0), TOL);
    assertEquals(0.075, state.table("adam.m/e").get(0, 0), TOL);
    assertEquals(3.3975e-4, state.table("adam.v/e").get(0, 0), 1e-10);
    assertEquals(0.33299418, params.dense("w")[0], TOL);
    assertEquals(0.018, state.dense("adam.m/w")[0], TOL);
    assertEquals(Float.floatToIntBits(row1Param), Float.floatToIntBits(params.table("e").get(1, 0)));
    assertEquals(Float.floatToIntBits(row1M), Float.floatToIntBits(state.table("adam.m/e").get(1, 0)));
    assertEquals(Float.floatToIntBits(row1V), Float.floatToIntBits(state.table("adam.v/e").get(1, 0)));
    assertArrayEquals(new int[] {0}, second.rows("e").rowIds(), "only the gradient's rows come back");
    assertEquals(params.dense("w")[0], second.dense("w")[0], "every dense tensor comes back");

    // The state patch carries exactly the moments step 2 changed, at their new values.
    TensorPatch statePatch = adam.statePatch(state, grad(new int[] {0}, new float[] {0.3f}, null));
    assertEquals(java.util.Set.of("adam.m/e", "adam.v/e"), statePatch.tableNames());
    assertArrayEquals(new int[] {0}, statePatch.rows("adam.m/e").rowIds());
    assertEquals(state.table("adam.v/e").get(0, 0), statePatch.rows("adam.v/e").get(0, 0));
    assertEquals(java.util.Set.of("adam.m/w", "adam.v/w"), statePatch.denseNames());
    assertEquals(state.dense("adam.v/w")[0], statePatch.dense("adam.v/w")[0]);
  }

  @Test
  void adagradTwoSteps() {
    Adagrad adagrad = new Adagrad(0.5, 1e-8);
    TensorStore params = params();
    TensorStore state = adagrad.newState(params);
    // Step 1, row 0 g = 0.5: acc = 0.25, p = 1 - 0.5 * 0.5 / 0.5 = 0.5
    adagrad.step(params, state, grad(new int[] {0}, new float[] {0.5f}, new float[] {0f}), 1);
    assertEquals(0.5, params.table("e").get(0, 0), TOL);
    assertEquals(0.25, state.table("adagrad.accumulator/e").get(0, 0), TOL);
    // Step 2, row 0 g = -0.3: acc = 0.34, p = 0.5 + 0.5 * 0.3 / sqrt(0.34) = 0.75724788
    adagrad.step(params, state, grad(new int[] {0}, new float[] {-0.3f}, null), 2);
    assertEquals(0.75724788, params.table("e").get(0, 0), TOL);
    assertEquals(0.34, state.table("adagrad.accumulator/e").get(0, 0), TOL);
    // Row 1 never had a gradient: its value and its accumulator are untouched.
    assertEquals(-2.0f, params.table("e").get(1, 0));
    assertEquals(0f, state.table("adagrad.accumulator/e").get(1, 0));
    // Dense with zero gradient does not move under Adagrad.
    assertEquals(0.5f, params.dense("w")[0]);
  }

  @Test
  void sgdStep() {
    Sgd sgd = new Sgd(0.1);
    TensorStore params = params();
    TensorStore state = sgd.newState(params);
    assertTrue(state.tableNames().isEmpty() && state.denseNames().isEmpty());
    // p = 1 - 0.1 * 2 = 0.8; w = 0.5 - 0.1 * (-1) = 0.6
    TensorPatch out = sgd.step(params, state, grad(new int[] {0}, new float[] {2f}, new float[] {-1f}), 1);
    assertEquals(0.8, params.table("e").get(0, 0), TOL);
    assertEquals(-2.0f, params.table("e").get(1, 0));
    assertEquals(0.6, params.dense("w")[0], TOL);
    assertEquals(0.8, out.rows("e").get(0, 0), TOL);
    assertTrue(sgd.statePatch(state, out).isEmpty());
  }

  @Test
  void untouchedRowsCostNoStateMemory() {
    TensorStore params = new TensorStore();
    params.addTable("big", 5_000_000, 16, TableInit.gaussian(1, 0.1));
    Adam adam = new Adam(0.01, 0.9, 0.999, 1e-8);
    TensorStore state = adam.newState(params);
    assertEquals(0, state.materializedBytes());
    adam.step(params, state, new TensorPatch().putRows("big",
        new SparseRows(16, new int[] {7, 4_999_999}, new float[32])), 1);
    EmbeddingTable m = state.table("adam.m/big");
    assertEquals(2, m.materializedChunks());
    assertTrue(state.materializedBytes() < 5_000_000L, "state holds " + state.materializedBytes() + " bytes");
  }

  @Test
  void aBadGradientChangesNothing() {
    Adam adam = new Adam(0.1, 0.9, 0.999, 1e-8);
    TensorStore params = params();
    TensorStore state = adam.newState(params);
    TensorStore paramsBefore = params.copy();
    TensorStore stateBefore = state.copy();
    TensorPatch bad = grad(new int[] {0, 2}, new float[] {1f, 1f}, new float[] {1f});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.step(params, state, bad, 1));
    assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("'e'"), e.getMessage());
    TensorPatch wrongDense = grad(new int[] {0}, new float[] {1f}, new float[] {1f, 2f});
    assertThrows(IllegalArgumentException.class, () -> adam.step(params, state, wrongDense, 1));
    assertTrue(params.bitwiseEquals(paramsBefore));
    assertTrue(state.bitwiseEquals(stateBefore));
  }

  @Test
  void factoryAndValidation() {
    assertInstanceOf(Adam.class, Optimizers.create("Adam", 0.01, 0.9, 0.999, 1e-8));
    assertInstanceOf(Adagrad.class, Optimizers.create("adagrad", 0.01, 0.9, 0.999, 1e-8));
    assertInstanceOf(Sgd.class, Optimizers.create(" sgd ", 0.01, 0.9, 0.999, 1e-8));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Optimizers.create("rmsprop", 0.01, 0.9, 0.999, 1e-8));
    assertTrue(e.getMessage().contains("rmsprop") && e.getMessage().contains("adam"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Adam(0.01, 1.0, 0.999, 1e-8));
    assertThrows(IllegalArgumentException.class, () -> new Sgd(-1));
    assertThrows(IllegalArgumentException.class, () -> new Adagrad(0.1, 0));
    Adam adam = new Adam(0.1, 0.9, 0.999, 1e-8);
    TensorStore params = params();
    IllegalArgumentException step0 = assertThrows(IllegalArgumentException.class,
        () -> adam.step(params, adam.newState(params), new TensorPatch(), 0));
    assertTrue(step0.getMessage().contains("step"), step0.getMessage());
  }
}
