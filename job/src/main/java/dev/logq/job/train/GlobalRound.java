package dev.logq.job.train;

import java.io.Serializable;
import java.util.List;

/**
 * The global batch of one step (loss.negatives = global): the positive items of every worker's local batch,
 * concatenated in worker (partition) order, and where each worker's own start. A worker scores its rows against
 * the distinct items of all of it, as one worker would score the concatenated batch. Only ids travel: every
 * worker starts the step with the same model, so it computes any item's tower output itself, and the gradients
 * of the other workers' columns are ordinary sparse rows that the synchronisation sums like any other.
 *
 * <p>Serializable: the rounds backend ships it in the round's task closure; the collective workers build it
 * from their all-gather.
 */
final class GlobalRound implements Serializable {

  private static final long serialVersionUID = 1L;

  final int epoch;
  final int roundInEpoch;
  final int[] items;
  private final int[] offsets;

  private GlobalRound(int epoch, int roundInEpoch, int[] items, int[] offsets) {
    this.epoch = epoch;
    this.roundInEpoch = roundInEpoch;
    this.items = items;
    this.offsets = offsets;
  }

  /** The round from every worker's batch items, by worker (empty: that worker has no batch this round). */
  static GlobalRound of(int epoch, int roundInEpoch, List<int[]> byWorker) {
    int[] offsets = new int[byWorker.size() + 1];
    for (int w = 0; w < byWorker.size(); w++) {
      offsets[w + 1] = offsets[w] + byWorker.get(w).length;
    }
    int[] items = new int[offsets[byWorker.size()]];
    for (int w = 0; w < byWorker.size(); w++) {
      System.arraycopy(byWorker.get(w), 0, items, offsets[w], byWorker.get(w).length);
    }
    return new GlobalRound(epoch, roundInEpoch, items, offsets);
  }

  /** Where worker {@code worker}'s rows start in {@link #items}. */
  int offset(int worker) {
    return offsets[worker];
  }

  /** The number of workers it was built from. */
  int workers() {
    return offsets.length - 1;
  }

  boolean isFor(int epoch, int roundInEpoch) {
    return this.epoch == epoch && this.roundInEpoch == roundInEpoch;
  }

  /** Fails unless this is the round a task is about to run (a protocol error, never the data's). */
  GlobalRound checkedFor(int epoch, int roundInEpoch, int workers) {
    if (!isFor(epoch, roundInEpoch) || workers() != workers) {
      throw new IllegalStateException("global batch of epoch " + (this.epoch + 1) + " round " + (this.roundInEpoch + 1)
          + " from " + workers() + " workers given to epoch " + (epoch + 1) + " round " + (roundInEpoch + 1)
          + " of " + workers);
    }
    return this;
  }
}
