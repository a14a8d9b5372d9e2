/**
 * Dense row-major float matrix products for one training step (scores = U V^T, dU = G V, dV = G^T U), written
 * so that the JIT vectorises them; see docs/decisions.md for why this is plain Java and not a BLAS binding.
 */
package dev.logq.common.linalg;
