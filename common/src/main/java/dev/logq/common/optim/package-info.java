/**
 * Optimizers over a {@link dev.logq.common.model.TensorStore}: {@link dev.logq.common.optim.Sgd},
 * {@link dev.logq.common.optim.Adagrad} and {@link dev.logq.common.optim.Adam}, behind
 * {@link dev.logq.common.optim.Optimizer}; {@link dev.logq.common.optim.Optimizers} builds one from its
 * config name.
 *
 * <p>Embedding rows are updated lazily: only rows named in the gradient change, and only their
 * optimizer state (moments, accumulators) moves, like TensorFlow's LazyAdam; a step costs O(rows in the
 * gradient), not O(catalog). Dense tensors are updated every step. Optimizer state lives in a
 * TensorStore of its own, with one zero-initialised table or tensor per parameter and slot, so it is
 * checkpointed and averaged across workers like the parameters.
 */
package dev.logq.common.optim;
