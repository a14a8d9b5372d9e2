/**
 * User (query) towers: the part of the two-tower model that turns a user's input into the vector the
 * shared head (optional MLP, optional L2) maps to the retrieval embedding.
 *
 * <p>{@link dev.logq.common.model.tower.UserTower} is the small interface at the centre: the tower's
 * parameters, its input kind (user ids, a history window, or a sequence whose positions are all trained),
 * its forward and backward passes, and how it embeds a user for evaluation and export.
 * {@link dev.logq.common.model.tower.IdTower} and {@link dev.logq.common.model.tower.HistoryTower} implement
 * it; {@link dev.logq.common.model.tower.UserTowers} is the registry that turns {@code model.userTower}
 * into one of them, once, on the driver. The towers read and write the tensors of
 * {@code dev.logq.common.model} (TensorStore, TensorPatch, SparseRowsBuilder) and nothing of Spark.
 */
package dev.logq.common.model.tower;
