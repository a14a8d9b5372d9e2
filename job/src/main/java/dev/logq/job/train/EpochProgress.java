package dev.logq.job.train;

import dev.logq.job.console.EpochUpdate;
import dev.logq.job.console.JobConsole;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's bookkeeping of one training run, shared by both synchronisation backends: the running loss and
 * example counts of the current epoch, the training curve, the {@link TrainerState} a checkpoint records, and
 * the progress lines in the log. Resuming restores it from the checkpoint's {@link TrainerState}.
 */
final class EpochProgress {

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);
  private static final long LOG_EVERY_NANOS = 30_000_000_000L;

  private final TrainingPlan plan;
  private final int roundsPerEpoch;
  private final TrainerState resumedFrom;
  private final long trainingStart = System.nanoTime();
  private List<TrainerState.EpochStats> curve;
  private double epochLossSum;
  private long epochExamples;
  private int epoch;
  private int firstRound;
  private long epochStart;
  private long lastLog;
  /** Rounds run by this driver (not those restored from a checkpoint): the ETA's rate. */
  private long roundsRun;
  /** The validation metric shown on the console (null: whatever finishEpoch is given). */
  private String consoleMetric;

  EpochProgress(TrainingPlan plan, int roundsPerEpoch, TrainerState position) {
    this.plan = plan;
    this.roundsPerEpoch = roundsPerEpoch;
    this.resumedFrom = position;
    this.curve = new ArrayList<>(position.curve());
    this.epochLossSum = position.epochLossSum();
    this.epochExamples = position.epochExamples();
  }

  /** Starts {@code epoch}; returns its first round (after a mid-epoch resume, the round to continue from). */
  int startEpoch(int epoch) {
    this.epoch = epoch;
    this.epochStart = System.nanoTime();
    this.lastLog = epochStart;
    this.firstRound = epoch == resumedFrom.epoch() ? resumedFrom.roundInEpoch() : 0;
    if (firstRound == 0) {
      epochLossSum = 0;
      epochExamples = 0;
    }
    return firstRound;
  }

  /**
   * Adds rounds {@code [fromRound, toRound)} of the current epoch: their summed loss and example count.
   *
   * @throws IllegalStateException when the loss is not finite (training diverged)
   */
  synchronized void add(double lossSum, long examples, int fromRound, int toRound) {
    if (!Double.isFinite(lossSum)) {
      String rounds = toRound - fromRound == 1 ? "round " + toRound : "rounds " + (fromRound + 1) + "-" + toRound;
      throw new IllegalStateException(String.format(Locale.ROOT, "Training diverged: loss is %s in epoch %d, %s;"
          + " lower train.learningRate or raise model.temperature", lossSum, epoch + 1, rounds));
    }
    epochLossSum += lossSum;
    epochExamples += examples;
    roundsRun += toRound - fromRound;
  }

  /** What a checkpoint taken after round {@code roundsDone} of the epoch (global round {@code round}) records. */
  TrainerState stateAfter(long round, int roundsDone) {
    return roundsDone == roundsPerEpoch
        ? new TrainerState(round, epoch + 1, 0, 0.0, 0, withEpoch(roundsDone - firstRound))
        : new TrainerState(round, epoch, roundsDone, epochLossSum, epochExamples, List.copyOf(curve));
  }

  /** Logs the epoch's running loss and rate, at most every 30 seconds; updates the console's progress line. */
  synchronized void maybeLog(int roundsDone) {
    JobConsole.epoch(update(roundsDone, Map.of(), false));
    logAtMostEvery30s(roundsDone, epochExamples, epochLossSum);
  }

  private void logAtMostEvery30s(int roundsDone, long examples, double lossSum) {
    if (System.nanoTime() - lastLog > LOG_EVERY_NANOS) {
      lastLog = System.nanoTime();
      LOG.info(String.format(Locale.ROOT, "epoch %d/%d round %d/%d: loss %.5f, %.0f examples/s", epoch + 1,
          plan.epochs(), roundsDone, roundsPerEpoch, lossSum / Math.max(1, examples),
          examples / ((System.nanoTime() - epochStart) / 1e9)));
    }
  }

  /** Closes the epoch: appends it to the curve and logs loss, rate, elapsed and remaining time. */
  void finishEpoch() {
    finishEpoch(Map.of());
  }

  /**
   * {@link #finishEpoch()}, with named metrics of the epoch (the validation metrics) kept in its curve point,
   * logged, and the headline one ({@link #withConsoleMetric}) shown on the console's progress line.
   */
  void finishEpoch(Map<String, Double> metrics) {
    curve = withEpoch(roundsPerEpoch - firstRound);
    TrainerState.EpochStats last = curve.get(curve.size() - 1).withValidation(metrics);
    curve.set(curve.size() - 1, last);
    double elapsed = (System.nanoTime() - trainingStart) / 1e9;
    int epochsDone = epoch + 1 - resumedFrom.epoch();
    double remaining = elapsed / epochsDone * (plan.epochs() - epoch - 1);
    StringBuilder named = new StringBuilder();
    new TreeMap<>(metrics).forEach((k, v) -> named.append(String.format(Locale.ROOT, ", val %s %.4f", k, v)));
    LOG.info(String.format(Locale.ROOT, "epoch %d/%d done: loss %.5f%s, %.0f examples/s, elapsed %.1f s,"
        + " remaining ~%.1f s", epoch + 1, plan.epochs(), last.meanLoss(), named, last.examplesPerSecond(), elapsed,
        remaining));
    Map<String, Double> shown = metrics;
    if (consoleMetric != null && metrics.containsKey(consoleMetric)) {
      shown = Map.of("val " + consoleMetric, metrics.get(consoleMetric));
    }
    JobConsole.epoch(update(roundsPerEpoch, shown, true));
  }

  /** The validation metric the console's epoch line shows (train.earlyStopping.metric); the log has them all. */
  EpochProgress withConsoleMetric(String metric) {
    this.consoleMetric = metric;
    return this;
  }

  /** The console's view of the current epoch after {@code roundsDone} of its rounds. */
  synchronized EpochUpdate update(int roundsDone, Map<String, Double> metrics, boolean done) {
    return view(roundsDone, roundsRun, epochExamples, epochLossSum, metrics, done);
  }

  /**
   * A running segment's rounds so far ({@link SegmentProgress}: roundsDone of them from round segmentFrom, with
   * their examples and loss sum) on the console's progress line and, every 30 seconds, in the log. Records
   * nothing: the segment's result adds the exact values when it ends.
   */
  synchronized EpochUpdate showInSegment(int segmentFrom, int roundsDone, long examples, double lossSum) {
    int at = Math.min(roundsPerEpoch, segmentFrom + roundsDone);
    long ex = epochExamples + examples;
    double loss = epochLossSum + lossSum;
    EpochUpdate shown = view(at, roundsRun + roundsDone, ex, loss, Map.of(), false);
    JobConsole.epoch(shown);
    logAtMostEvery30s(at, ex, loss);
    return shown;
  }

  private EpochUpdate view(int roundsDone, long roundsRunSoFar, long examples, double lossSum,
                           Map<String, Double> metrics, boolean done) {
    double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
    double elapsed = (System.nanoTime() - trainingStart) / 1e9;
    long remainingRounds = (long) (roundsPerEpoch - roundsDone) + (long) (plan.epochs() - epoch - 1) * roundsPerEpoch;
    double eta = roundsRunSoFar == 0 ? Double.NaN : elapsed / roundsRunSoFar * remainingRounds;
    return new EpochUpdate(epoch + 1, plan.epochs(), roundsDone, roundsPerEpoch,
        examples == 0 ? Double.NaN : lossSum / examples, examples / Math.max(1e-9, epochSeconds), eta, metrics, done);
  }

  /** The curve so far (after a resume: the checkpoint's). */
  List<TrainerState.EpochStats> curve() {
    return List.copyOf(curve);
  }

  /** Sets the validation metrics of the curve's last point (after a resume at an epoch end that lacked them). */
  void setLastValidation(Map<String, Double> metrics) {
    curve.set(curve.size() - 1, curve.get(curve.size() - 1).withValidation(metrics));
  }

  /** The state at the end of training that stopped after {@code epochs} epochs. */
  TrainerState finalState(long round, int epochs) {
    return new TrainerState(round, epochs, 0, 0.0, 0, List.copyOf(curve));
  }

  /** The state at the end of training. */
  TrainerState finalState(long round) {
    return new TrainerState(round, plan.epochs(), 0, 0.0, 0, List.copyOf(curve));
  }

  private List<TrainerState.EpochStats> withEpoch(long rounds) {
    List<TrainerState.EpochStats> out = new ArrayList<>(curve);
    double seconds = (System.nanoTime() - epochStart) / 1e9;
    out.add(new TrainerState.EpochStats(epoch + 1, rounds, epochExamples, epochLossSum / Math.max(1, epochExamples),
        seconds, epochExamples / Math.max(1e-9, seconds)));
    return out;
  }
}
