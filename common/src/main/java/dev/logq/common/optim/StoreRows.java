package dev.logq.common.optim;

import java.util.function.IntUnaryOperator;

/**
 * Where the parameter and state stores of a step hold the rows a gradient names: at the row's own id
 * ({@link #IDENTITY}), or, for an owner that keeps only its rows in compact tables, at the row's local index
 * (global id to local row), so that the owner steps a gradient with global ids without re-keying and re-sorting it.
 * One mapping per table, shared by the table and its state slots.
 */
@FunctionalInterface
public interface StoreRows {

  /** Every row at its own id. */
  StoreRows IDENTITY = table -> IntUnaryOperator.identity();

  /**
   * The store row of each gradient row id of {@code table}.
   *
   * @throws IllegalArgumentException (from the returned mapping) for an id the store does not hold
   */
  IntUnaryOperator of(String table);
}
