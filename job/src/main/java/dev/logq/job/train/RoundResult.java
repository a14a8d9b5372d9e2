package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import java.io.Serializable;

/**
 * What one worker sends back after a round: with gradient averaging the SUM over its examples of the
 * per-example gradient; with local steps the example-weighted change of its replica (parameters and
 * optimizer state). Weighted sums let the driver form exact example-weighted means. The patches travel
 * encoded (see {@link Payloads}); a plain class, not a record, so Kryo can ship it too.
 */
final class RoundResult implements Serializable {

  private static final long serialVersionUID = 1L;

  final int partition;
  final long examples;
  final double lossSum;
  final long computeNanos;
  /** Everything the task did: replica sync, batch, gradient, encoding (compute is a part of it). */
  long taskNanos;
  /** The task thread's CPU time in the gradient (or local steps), and in the whole task. */
  long computeCpuNanos;
  long taskCpuNanos;
  /**
   * Global negatives, rounds backend: this worker's batch items of the epoch's next round (empty when it has
   * none), so the driver can hand the next round its global batch without a job of its own; null otherwise.
   */
  int[] nextRoundItems;
  private final byte[] payload;
  /** The patches themselves when the result stays in the task (collective): never encoded, never shipped. */
  private final transient TensorPatch[] inMemory;

  RoundResult(int partition, long examples, double lossSum, TensorPatch params, TensorPatch optimizerState,
              long computeNanos) {
    this(partition, examples, lossSum, params, optimizerState, computeNanos, true);
  }

  /** @param encode false for a result used where it was made (the patches are kept as they are) */
  RoundResult(int partition, long examples, double lossSum, TensorPatch params, TensorPatch optimizerState,
              long computeNanos, boolean encode) {
    this.partition = partition;
    this.examples = examples;
    this.lossSum = lossSum;
    this.computeNanos = computeNanos;
    this.payload = examples == 0 || !encode ? null : Payloads.encode(params, optimizerState);
    this.inMemory = examples == 0 || encode ? null : new TensorPatch[] {params, optimizerState};
  }

  static RoundResult empty(int partition) {
    return new RoundResult(partition, 0, 0.0, null, null, 0);
  }

  /** The encoded size of what this worker sends back. */
  int payloadBytes() {
    return payload == null ? 0 : payload.length;
  }

  /** [params, optimizerState (null with gradient averaging)]. */
  TensorPatch[] patches() {
    return inMemory != null ? inMemory.clone() : Payloads.decode(payload);
  }
}
