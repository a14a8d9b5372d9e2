package dev.logq.job.train;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.Iterator;
import scala.collection.Seq;

/**
 * Progress inside a long segment of the collective backend (one Spark job for a whole epoch when no checkpoint
 * falls inside it): worker 0 counts its finished rounds, with their global example count and loss sum, in
 * accumulators; executors send a running task's accumulator values with every heartbeat
 * (spark.executor.heartbeatInterval, 10 s), and this listener hands them to the epoch's progress line. Display
 * only: the epoch's loss and counts are still added exactly, from the segment's result.
 */
final class SegmentProgress extends SparkListener implements AutoCloseable {

  /** What a segment's worker 0 adds to, once per round. */
  record Counters(LongAccumulator rounds, LongAccumulator examples, DoubleAccumulator lossSum)
      implements Serializable {

    void roundDone(long roundExamples, double roundLoss) {
      rounds.add(1);
      examples.add(roundExamples);
      lossSum.add(roundLoss);
    }
  }

  /** Receives the running segment's totals so far. */
  interface Sink {
    void inSegment(int roundsDone, long examples, double lossSum);
  }

  private final SparkContext sc;
  private final Counters counters;
  private final Sink sink;
  private long rounds;

  private SegmentProgress(SparkContext sc, Sink sink) {
    this.sc = sc;
    this.sink = sink;
    this.counters = new Counters(sc.longAccumulator("logq segment rounds"), sc.longAccumulator("logq segment examples"),
        sc.doubleAccumulator("logq segment loss"));
  }

  /** Fresh counters for one attempt of a segment, watched until {@link #close}. */
  static SegmentProgress watch(SparkContext sc, Sink sink) {
    SegmentProgress p = new SegmentProgress(sc, sink);
    sc.addSparkListener(p);
    return p;
  }

  Counters counters() {
    return counters;
  }

  @Override
  public synchronized void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    Iterator<Tuple4<Object, Object, Object, Seq<AccumulableInfo>>> tasks = update.accumUpdates().iterator();
    while (tasks.hasNext()) {
      // One task's values at once: only worker 0 counts, the other tasks report zeros (or nothing).
      long taskRounds = -1;
      long taskExamples = 0;
      double taskLoss = 0;
      Iterator<AccumulableInfo> infos = tasks.next()._4().iterator();
      while (infos.hasNext()) {
        AccumulableInfo info = infos.next();
        Object value = info.update().isEmpty() ? null : info.update().get();
        if (info.id() == counters.rounds().id() && value instanceof Long v) {
          taskRounds = v;
        } else if (info.id() == counters.examples().id() && value instanceof Long v) {
          taskExamples = v;
        } else if (info.id() == counters.lossSum().id() && value instanceof Double v) {
          taskLoss = v;
        }
      }
      if (taskRounds > rounds) {
        rounds = taskRounds;
        sink.inSegment((int) taskRounds, taskExamples, taskLoss);
      }
    }
  }

  @Override
  public void close() {
    sc.removeSparkListener(this);
  }
}
