package dev.logq.common.optim;

import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.io.Serializable;

/**
 * Updates parameters from a gradient. Implementations hold only hyper-parameters: they are immutable,
 * thread-safe and serialisable; all mutable state is in the {@code state} store from {@link #newState}.
 */
public interface Optimizer extends Serializable {

  /** The config name: sgd, adagrad or adam. */
  String name();

  /**
   * Fresh optimizer state for {@code params}: per slot (e.g. Adam's m and v) one zero table per
   * parameter table, named {@code <slot>/<table>}, and one zero tensor per dense tensor. Tables are
   * allocated chunk by chunk as rows are first written, so rows that never get a gradient cost nothing.
   */
  TensorStore newState(TensorStore params);

  /**
   * Applies one update in place to {@code params} and {@code state}.
   *
   * <p>Embedding tables: only the rows {@code grad} names change (parameters and their state). Dense
   * tensors: every dense tensor of {@code params} is updated; one the gradient lacks counts as a zero
   * gradient (which still moves it under Adam's momentum).
   *
   * @param step the global step, 1 for the first update (Adam's bias correction uses it)
   * @return the new values of everything that may have changed: the gradient's rows and every dense
   *     tensor of {@code params} (fresh arrays)
   */
  default TensorPatch step(TensorStore params, TensorStore state, TensorPatch grad, long step) {
    return step(params, state, grad, step, StoreRows.IDENTITY);
  }

  /**
   * {@link #step} where the stores hold the gradient's rows at {@code at}'s rows (an owner's compact shard); the
   * returned rows keep the gradient's ids.
   */
  TensorPatch step(TensorStore params, TensorStore state, TensorPatch grad, long step, StoreRows at);

  /**
   * {@link #step} on the gradient's table rows only, no dense tensor: for an owner that steps a round's rows in
   * more than one call (every dense tensor in exactly one {@code step}). Each row's update is its own arithmetic,
   * so the rows get the bits they would get in one {@code step}.
   *
   * @throws IllegalArgumentException when {@code grad} holds a dense tensor
   */
  default TensorPatch stepRows(TensorStore params, TensorStore state, TensorPatch grad, long step) {
    return stepRows(params, state, grad, step, StoreRows.IDENTITY);
  }

  /** {@link #stepRows} with the rows placed as {@link #step(TensorStore, TensorStore, TensorPatch, long, StoreRows)}. */
  TensorPatch stepRows(TensorStore params, TensorStore state, TensorPatch grad, long step, StoreRows at);

  /**
   * The current values of the state that {@link #step} changes for {@code grad}: the slot rows for the
   * gradient's rows and every dense slot tensor. Call it after {@code step} to ship or average the
   * optimizer state along with the parameters.
   */
  TensorPatch statePatch(TensorStore state, TensorPatch grad);
}
