package dev.logq.job.train;

import dev.logq.common.model.TensorStore;

/**
 * One way of exchanging the workers' contributions (train.syncBackend), as the single epoch loop of
 * {@link DistributedTrainer} drives it: run a segment of rounds, let the loop record its loss, then
 * checkpoint as the backend's protocol says. Implementations: {@link RoundsSynchronizer} (one Spark job
 * per round, the driver averages) and {@link CollectiveSynchronizer} (one barrier-mode job per checkpoint
 * segment, the workers exchange directly). Both give the same model bit for bit.
 */
interface Synchronizer {

  /**
   * What one call of {@link #run} did: rounds {@code [from, end)} of the epoch, the model version after
   * them, and the examples and loss sum they covered. {@code ran} is false when no worker had examples
   * (nothing to apply: the loop records nothing). {@code roundLossSums}, when given, holds every round's loss
   * sum (over all workers), so the loop adds them one by one, in the rounds backend's order of additions: the
   * same training curve to the last bit.
   */
  record Segment(int from, int end, long version, double lossSum, long examples, boolean ran,
                 double[] roundLossSums) {
    Segment(int from, int end, long version, double lossSum, long examples, boolean ran) {
      this(from, end, version, lossSum, examples, ran, null);
    }
  }

  /**
   * Runs rounds of {@code epoch} from round {@code from} of the epoch (at least one, at most up to the
   * epoch's end or the next checkpoint); {@code version} is the number of rounds completed before.
   */
  Segment run(int epoch, int from, int roundsPerEpoch, long version);

  /** After the loop recorded {@code segment} in {@code progress}: checkpoint when the protocol asks. */
  void afterSegment(Segment segment, int roundsPerEpoch, EpochProgress progress);

  /**
   * Where a backend whose {@link #run} spans many rounds shows its rounds while they run (the loop itself shows
   * progress after each call); the rounds backend runs one round per call and needs nothing.
   */
  default void showProgressIn(EpochProgress progress) {}

  /** The trained parameters, once every epoch ran. */
  TensorStore finalParams();

  /**
   * Where a worker that is lost now (its executor died) gets its model back from, for the driver's log line:
   * a checkpoint (and what is replayed on top of it) or the initial parameters. Called from Spark's listener
   * thread, so it reads only what a segment boundary publishes.
   */
  String recoveryPoint();

  /** Per-round costs over the whole training, logged once. */
  DistributedTrainer.SyncStats stats();

  /** Frees what the backend holds (broadcast patches, scratch directories); called once, at the end. */
  void close();
}
