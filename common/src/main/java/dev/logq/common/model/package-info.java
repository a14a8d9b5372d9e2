/**
 * The two-tower model: parameter storage, the towers with their hand-derived backward passes, and
 * the training step that turns a batch into a loss and a sparse gradient.
 *
 * <p>Storage: {@link dev.logq.common.model.EmbeddingTable} (chunked rows, lazily materialised from a
 * deterministic initialiser), {@link dev.logq.common.model.TensorStore} (named tables plus dense
 * tensors; parameters and optimizer state; the checkpoint format) and
 * {@link dev.logq.common.model.TensorPatch} (sparse rows plus dense tensors; gradients, parameter
 * deltas and the "new values" the driver ships to worker replicas).
 *
 * <p>Model: {@link dev.logq.common.model.ModelSpec} (immutable hyper-parameters),
 * {@link dev.logq.common.model.Batch} (one local batch) and
 * {@link dev.logq.common.model.TwoTowerModel} (stateless; forward, loss via
 * {@link dev.logq.common.loss.Loss}, backward). Embedding gradients only name the rows a batch
 * touched, so a step costs O(batch), not O(catalog), except for the full softmax.
 */
package dev.logq.common.model;
