package dev.logq.common.model.tower;

import dev.logq.common.model.Batch;
import dev.logq.common.model.RowReads;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.io.Serializable;
import java.util.Map;

/**
 * A user (query) tower: everything the two-tower model needs to know about one way of representing a
 * user. Implementations are immutable values holding only their settings (created once, on the driver,
 * by {@link UserTowers}); they travel to the executors inside the model spec, so nothing is re-parsed per
 * round. Thread-safe: per-call state lives in the {@link Pass} a forward call returns.
 *
 * <p>The tower produces, for each query row, an {@code embeddingDim}-vector (its "input"); the model's
 * shared head (optional MLP {@code user.mlp.*}, optional L2, 1/tau) turns it into the user embedding, and
 * the item tower does the same for items. So a tower declares only its own tensors.
 *
 * <p>Query rows are the loss rows. For {@link InputKind#USER_IDS} and {@link InputKind#HISTORY} a row is
 * one example of the batch. A {@link InputKind#SEQUENCE} tower reads examples that are windows of the
 * user's sequence and returns one row per trained position; the batch's {@code size} and {@code items}
 * then count and name those positions (row b's positive), which is all the losses and the candidate
 * columns see: neither knows what a row came from.
 */
public interface UserTower extends Serializable {

  /** The {@code model.userTower} name, also written to spec.json. */
  String name();

  /** What the tower reads (and what the Spark side builds for it). */
  InputKind input();

  /**
   * Whether it can embed a user absent from the training data (so the split keeps such users' test rows
   * and the index covers them): towers that read the user's items can.
   */
  default boolean embedsUnseenUsers() {
    return input().readsItems();
  }

  /**
   * The table holding one row per user index, if the tower has one (null otherwise): the worker that trains on
   * all of a user's examples (train.placement = user) owns that user's row in the collective backend.
   */
  default String perUserTable() {
    return null;
  }

  /** Items the tower reads per example and per embedded user (L), 0 for {@link InputKind#USER_IDS}. */
  int window();

  /**
   * Adds this tower's tensors to a fresh parameter store. {@code gaussian} is the model's seeded
   * Gaussian(initStd) initialiser; every value must be a pure function of the spec (seed, name, position).
   */
  void addInitialParameters(TensorStore store, TowerShape shape, TableInit gaussian);

  /** Fails, naming the tensor, when {@code params} lacks a tensor of this tower or it has the wrong shape. */
  void checkParameters(TensorStore params, TowerShape shape);

  /**
   * Forward pass over a training batch: writes the {@code batch.size} rows' inputs (row-major,
   * {@code embeddingDim} each) to {@code out} and returns what {@link #backward} needs.
   */
  Pass forward(TensorStore params, TowerShape shape, Batch batch, float[] out);

  /**
   * The training forward pass with the step's random generator (the one the candidate columns drew from,
   * after their draws), for towers with randomness of their own such as dropout; {@code rng} null means
   * none (as at inference). Towers without randomness keep the default, which ignores it.
   */
  default Pass forward(TensorStore params, TowerShape shape, Batch batch, java.util.SplittableRandom rng,
                       float[] out) {
    return forward(params, shape, batch, out);
  }

  /**
   * Chains {@code gradOut} of the rows' inputs (same layout as the forward's {@code out}) into the tower's
   * tensors: rows of its tables (only the rows the pass read) and every dense tensor it owns.
   */
  void backward(TensorStore params, TowerShape shape, Pass pass, float[] gradInputs, TensorPatch gradOut);

  /**
   * Adds the rows of this tower's tables that {@link #forward} over {@code batch} reads (exactly those: a worker
   * that fetches only these rows before the step must compute the same bits as one with the whole model).
   */
  void addRowsRead(Batch batch, RowReads out);

  /**
   * The input of n users for evaluation and export, one row each: {@code users} (dense indices) for
   * {@link InputKind#USER_IDS}; {@code items} (n x {@link #window()}, the user's last training items, most
   * recent last, -1 padding) for the other kinds. The unused array may be null.
   */
  void embed(TensorStore params, TowerShape shape, int[] users, int[] items, int n, float[] out);

  /** The tower's settings as spec.json and provenance record them (key: value), in a stable order. */
  Map<String, Object> settings();

  /** Opaque per-call state of a forward pass. */
  interface Pass {}
}
