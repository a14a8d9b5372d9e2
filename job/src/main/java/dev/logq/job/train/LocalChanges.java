package dev.logq.job.train;

import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Records, for a round of local optimizer steps on a replica, the value every changed row had before
 * the round (parameters and optimizer state), so the worker can report its change and then put the
 * replica back. Costs O(rows touched), not O(model).
 */
final class LocalChanges {

  private final TensorStore params;
  private final TensorStore state;
  private final Optimizer optimizer;
  private final Map<String, BitSet> seen = new HashMap<>();
  private final TensorPatch paramsBefore;
  private final TensorPatch stateBefore;

  LocalChanges(TensorStore params, TensorStore state, Optimizer optimizer) {
    this.params = params;
    this.state = state;
    this.optimizer = optimizer;
    // Every dense tensor (and its optimizer slots) changes at every step: keep them all up front.
    this.paramsBefore = TensorPatch.gatherRows(params, Map.of(), params.denseNames());
    this.stateBefore = optimizer.statePatch(state, new TensorPatch());
  }

  /** Call before applying {@code grad}: saves the rows it is about to change for the first time. */
  void rememberBefore(TensorPatch grad) {
    Map<String, int[]> fresh = new TreeMap<>();
    TensorPatch freshRows = new TensorPatch();
    for (String table : grad.tableNames()) {
      SparseRows rows = grad.rows(table);
      BitSet done = seen.computeIfAbsent(table, t -> new BitSet());
      int[] ids = rows.rowIds();
      int count = 0;
      int[] newIds = new int[ids.length];
      for (int id : ids) {
        if (!done.get(id)) {
          done.set(id);
          newIds[count++] = id;
        }
      }
      if (count > 0) {
        int[] exact = java.util.Arrays.copyOf(newIds, count);
        fresh.put(table, exact);
        freshRows.putRows(table, new SparseRows(rows.dim(), exact, new float[count * rows.dim()]));
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    paramsBefore.addScaled(TensorPatch.gatherRows(params, fresh, List.of()), 1f);
    TensorPatch slots = optimizer.statePatch(state, freshRows);
    TensorPatch slotRows = new TensorPatch();
    for (String table : slots.tableNames()) {
      slotRows.putRows(table, slots.rows(table));
    }
    stateBefore.addScaled(slotRows, 1f);
  }

  /** Current minus before, over every recorded row and dense tensor. */
  TensorPatch paramDelta() {
    return TensorPatch.gatherRows(params, paramsBefore).addScaled(paramsBefore, -1f);
  }

  TensorPatch stateDelta() {
    return TensorPatch.gatherRows(state, stateBefore).addScaled(stateBefore, -1f);
  }

  /** Puts the replica back to its values before the round. */
  void restore() {
    params.applyPatch(paramsBefore);
    state.applyPatch(stateBefore);
  }
}
