package dev.logq.common.optim;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shared mechanics of an element-wise optimizer with per-parameter state slots: walking the
 * gradient's rows and the dense tensors, reading and writing parameter and slot values, and building the
 * returned patches. Subclasses supply the slot names and the element-wise rule.
 */
abstract class SlotOptimizer implements Optimizer {

  private static final long serialVersionUID = 1L;

  /** Names of the state slots, e.g. {"adam.m", "adam.v"}. */
  abstract String[] slots();

  /** Per-step constants (e.g. bias corrections), computed once per step. */
  abstract double[] stepConstants(long step);

  /**
   * Updates param[0..len) and slots[s][0..len) in place from grad[0..len).
   */
  abstract void update(float[] param, float[] grad, float[][] slots, int len, double[] constants);

  static String slotName(String slot, String tensor) {
    return slot + "/" + tensor;
  }

  @Override
  public TensorStore newState(TensorStore params) {
    TensorStore state = new TensorStore();
    for (String slot : slots()) {
      for (String name : params.tableNames()) {
        EmbeddingTable table = params.table(name);
        state.addTable(slotName(slot, name), table.rows(), table.dim(), TableInit.zeros());
      }
      for (String name : params.denseNames()) {
        state.putDense(slotName(slot, name), new float[params.dense(name).length]);
      }
    }
    return state;
  }

  @Override
  public TensorPatch step(TensorStore params, TensorStore state, TensorPatch grad, long step, StoreRows at) {
    return step(params, state, grad, step, true, at);
  }

  @Override
  public TensorPatch stepRows(TensorStore params, TensorStore state, TensorPatch grad, long step, StoreRows at) {
    if (!grad.denseNames().isEmpty()) {
      throw new IllegalArgumentException(name() + ": a rows-only step got dense tensors " + grad.denseNames());
    }
    return step(params, state, grad, step, false, at);
  }

  private TensorPatch step(TensorStore params, TensorStore state, TensorPatch grad, long step, boolean dense,
                           StoreRows at) {
    java.util.Set<String> steppedDense = dense ? params.denseNames() : java.util.Set.of();
    if (step < 1) {
      throw new IllegalArgumentException(name() + ": step must be >= 1 (the first update is step 1), got " + step);
    }
    String[] slots = slots();
    for (String name : grad.denseNames()) {
      if (!params.hasDense(name)) {
        throw new IllegalArgumentException("gradient names dense tensor '" + name + "', which the parameters lack");
      }
    }
    // Validate everything first, so a bad gradient changes nothing; each table's store rows, once.
    Map<String, int[]> storeRows = new TreeMap<>();
    for (String name : grad.tableNames()) {
      EmbeddingTable table = params.table(name);
      SparseRows rows = grad.rows(name);
      if (rows.dim() != table.dim()) {
        throw new IllegalArgumentException("gradient for table '" + name + "' has dim " + rows.dim()
            + ", the table has dim " + table.dim());
      }
      java.util.function.IntUnaryOperator placement = at.of(name);
      int[] placed = new int[rows.size()];
      for (int i = 0; i < placed.length; i++) {
        placed[i] = placement.applyAsInt(rows.rowId(i));
        if (placed[i] < 0 || placed[i] >= table.rows()) {
          throw new IllegalArgumentException("gradient names row " + rows.rowId(i) + " of table '" + name + "'"
              + (placed[i] == rows.rowId(i) ? "" : ", held at row " + placed[i]) + ", which has " + table.rows()
              + " rows");
        }
      }
      storeRows.put(name, placed);
      for (String slot : slots) {
        state.table(slotName(slot, name));
      }
    }
    for (String name : steppedDense) {
      float[] gradient = grad.dense(name);
      if (gradient != null && gradient.length != params.dense(name).length) {
        throw new IllegalArgumentException("gradient for dense tensor '" + name + "' has " + gradient.length
            + " values, the parameter has " + params.dense(name).length);
      }
      for (String slot : slots) {
        state.dense(slotName(slot, name));
      }
    }
    double[] constants = stepConstants(step);
    TensorPatch result = new TensorPatch();
    for (String name : grad.tableNames()) {
      EmbeddingTable table = params.table(name);
      SparseRows rows = grad.rows(name);
      int dim = table.dim();
      EmbeddingTable[] slotTables = new EmbeddingTable[slots.length];
      for (int s = 0; s < slots.length; s++) {
        slotTables[s] = state.table(slotName(slots[s], name));
      }
      // The touched rows side by side, one update over all of them, then written back. The rule is element-wise,
      // so this gives the bits of a row-by-row update; it is cheaper (one long vectorised loop instead of a call
      // per row, six row copies instead of eight): Adam on 1,775 random rows of 64 in a 75k-row table, 0.70-0.76
      // -> 0.58-0.60 ms. The rest is mostly memory latency: the rows are scattered over tables larger than the
      // cache, and the same update on contiguous arrays takes 0.13 ms.
      int count = rows.size();
      int[] placed = storeRows.get(name);
      int len = count * dim;
      float[] param = new float[len];
      float[] gradient = new float[len];
      float[][] slotValues = new float[slots.length][len];
      rows.copyAll(gradient, 0);
      for (int i = 0; i < count; i++) {
        int row = placed[i];
        table.readRow(row, param, i * dim);
        for (int s = 0; s < slots.length; s++) {
          slotTables[s].readRow(row, slotValues[s], i * dim);
        }
      }
      update(param, gradient, slotValues, len, constants);
      for (int i = 0; i < count; i++) {
        int row = placed[i];
        table.writeRow(row, param, i * dim);
        for (int s = 0; s < slots.length; s++) {
          slotTables[s].writeRow(row, slotValues[s], i * dim);
        }
      }
      result.putRows(name, new SparseRows(dim, rows.rowIds(), param)); // the new values (param is not reused)
    }
    for (String name : steppedDense) {
      float[] param = params.dense(name);
      float[] gradient = grad.dense(name);
      if (gradient == null) {
        gradient = new float[param.length];
      }
      float[][] slotValues = new float[slots.length][];
      for (int s = 0; s < slots.length; s++) {
        slotValues[s] = state.dense(slotName(slots[s], name));
      }
      update(param, gradient, slotValues, param.length, constants);
      result.putDense(name, param.clone());
    }
    return result;
  }

  @Override
  public TensorPatch statePatch(TensorStore state, TensorPatch grad) {
    Map<String, int[]> rows = new TreeMap<>();
    for (String slot : slots()) {
      for (String name : grad.tableNames()) {
        rows.put(slotName(slot, name), grad.rows(name).rowIds());
      }
    }
    return TensorPatch.gatherRows(state, rows, state.denseNames());
  }

  static double checkPositive(String optimizer, String what, double value) {
    if (!(value > 0.0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(optimizer + ": " + what + " must be a finite number > 0, got " + value);
    }
    return value;
  }
}
