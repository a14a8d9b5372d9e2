package dev.logq.job.train.collective;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.StoreRows;

/**
 * What one worker owns: the parameters and optimizer state of its rows ({@link RowOwnership}) and of its dense
 * tensors, in compact tables indexed by local row (about R / N rows per table), and the owner's half of a
 * round: mean of the summed gradient, one optimizer step on the owned rows only. This is the sharded optimizer
 * state: Adam's slots for a row live only on its owner. The shard is also what a worker checkpoints, in
 * parallel with the others ({@link #params()}, {@link #state()}; {@link #scatterInto} rebuilds full stores).
 *
 * <p>Same bits as the rounds backend: the owner scales the rank-order sum by {@code (float) (1.0 / examples)}
 * and runs the same element-wise optimizer on each owned row as the driver's {@code optimizer.step} does on
 * that row of the master model; rows are independent, so stepping them in another store and another order
 * changes nothing. Dense tensors: the driver steps every dense tensor each round (zero gradient when none
 * came); the owner steps every dense tensor it owns each round, the same.
 *
 * <p>Only for gradient averaging (syncEvery = 1). Local SGD (syncEvery > 1) keeps a full optimizer state per
 * worker and averages parameter and state deltas; its owners would sum and publish both, not step.
 */
public final class OwnerShard {

  private final RowOwnership ownership;
  private final int rank;
  private final Optimizer optimizer;
  private final TensorStore params;
  private final TensorStore state;
  private final StoreRows localRows;

  private OwnerShard(RowOwnership ownership, int rank, Optimizer optimizer, TensorStore params, TensorStore state) {
    this.localRows = ownership.localRows(rank);
    this.ownership = ownership;
    this.rank = rank;
    this.optimizer = optimizer;
    this.params = params;
    this.state = state;
  }

  /**
   * Carves rank's shard out of a full model (every worker's replica) and, when given, a full optimizer state
   * (a checkpoint written by the rounds backend); with {@code fullState == null} the state starts at zero.
   */
  public static OwnerShard of(TensorStore fullParams, TensorStore fullState, RowOwnership ownership, int rank,
                              Optimizer optimizer) {
    TensorStore params = new TensorStore();
    for (String name : fullParams.tableNames()) {
      EmbeddingTable full = fullParams.table(name);
      EmbeddingTable local = params.addTable(name, Math.max(1, ownership.shardRows(name, rank)), full.dim(),
          TableInit.zeros());
      copyOwned(full, local, ownership, rank, true);
    }
    for (String name : fullParams.denseNames()) {
      if (ownership.denseOwner(name) == rank) {
        params.putDense(name, fullParams.dense(name).clone());
      }
    }
    TensorStore state = optimizer.newState(params);
    if (fullState != null) {
      for (String name : state.tableNames()) {
        copyOwned(fullState.table(name), state.table(name), ownership, rank, true);
      }
      for (String name : state.denseNames()) {
        System.arraycopy(fullState.dense(name), 0, state.dense(name), 0, state.dense(name).length);
      }
    }
    return new OwnerShard(ownership, rank, optimizer, params, state);
  }

  /** Rebuilds a shard from its own checkpoint (what {@link #params()} and {@link #state()} held). */
  public static OwnerShard restore(TensorStore shardParams, TensorStore shardState, RowOwnership ownership, int rank,
                                   Optimizer optimizer) {
    return new OwnerShard(ownership, rank, optimizer, shardParams, shardState);
  }

  private static void copyOwned(EmbeddingTable full, EmbeddingTable local, RowOwnership own, int rank,
                                boolean toLocal) {
    int n = own.shardRows(full.name(), rank);
    float[] row = new float[full.dim()];
    for (int l = 0; l < n; l++) {
      int g = own.globalRow(full.name(), rank, l);
      if (toLocal) {
        full.readRow(g, row, 0);
        local.writeRow(l, row, 0);
      } else {
        local.readRow(l, row, 0);
        full.writeRow(g, row, 0);
      }
    }
  }

  /** Owned parameters, tables indexed by local row: this rank's part of a sharded checkpoint. */
  public TensorStore params() {
    return params;
  }

  /** Owned optimizer state, indexed like {@link #params()}. */
  public TensorStore state() {
    return state;
  }

  /** Writes this shard's rows and dense tensors into full stores (e.g. to assemble one model file). */
  public void scatterInto(TensorStore fullParams, TensorStore fullState) {
    for (String name : params.tableNames()) {
      copyOwned(fullParams.table(name), params.table(name), ownership, rank, false);
    }
    for (String name : params.denseNames()) {
      System.arraycopy(params.dense(name), 0, fullParams.dense(name), 0, params.dense(name).length);
    }
    if (fullState != null) {
      for (String name : state.tableNames()) {
        copyOwned(fullState.table(name), state.table(name), ownership, rank, false);
      }
      for (String name : state.denseNames()) {
        System.arraycopy(state.dense(name), 0, fullState.dense(name), 0, state.dense(name).length);
      }
    }
  }

  /**
   * The owner's step of a round (an {@link ShardedExchange.OwnerStep}): mean gradient of the owned rows, one
   * optimizer step, the new values with global row ids. {@code owned.sum()} is scaled in place.
   *
   * @param step the global step, 1 for the first update
   */
  public TensorPatch step(ShardedExchange.Owned owned, long step) {
    TensorPatch sum = owned.sum();
    sum.scale((float) (1.0 / owned.examples()));
    for (String name : sum.denseNames()) {
      if (ownership.denseOwner(name) != rank) {
        throw new IllegalArgumentException("rank " + rank + " was sent dense tensor '" + name + "' it does not own");
      }
    }
    // The gradient keeps its global ids; the optimizer reads and writes each row at its local index (and fails on
    // a row this rank does not own). The new values come back with the global ids, in the gradient's order.
    return owned.rowsOnly() ? optimizer.stepRows(params, state, sum, step, localRows)
        : optimizer.step(params, state, sum, step, localRows);
  }
}
