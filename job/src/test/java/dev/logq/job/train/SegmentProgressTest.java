package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.executor.ExecutorMetrics;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.AccumulatorV2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.Tuple2;
import scala.Tuple4;
import scala.collection.JavaConverters;

/**
 * The collective backend's in-segment progress: heartbeats carrying worker 0's counters reach the epoch's progress
 * line; other accumulators, and a heartbeat older than the last one shown, do not move it.
 */
class SegmentProgressTest {

  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("SegmentProgressTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void heartbeatsOfWorkerZerosCountersReachTheSink() {
    List<String> shown = new ArrayList<>();
    try (SegmentProgress progress = SegmentProgress.watch(spark.sparkContext(),
        (rounds, examples, loss) -> shown.add(rounds + "/" + examples + "/" + loss))) {
      SegmentProgress.Counters c = progress.counters();
      AccumulatorV2<?, ?> unrelated = spark.sparkContext().longAccumulator("unrelated");
      progress.onExecutorMetricsUpdate(heartbeat(info(c.rounds(), 3L), info(c.examples(), 3072L),
          info(c.lossSum(), 12.5), info(unrelated, 99L)));
      progress.onExecutorMetricsUpdate(heartbeat(info(unrelated, 100L)));
      progress.onExecutorMetricsUpdate(heartbeat(info(c.rounds(), 7L), info(c.examples(), 7168L),
          info(c.lossSum(), 28.0)));
      progress.onExecutorMetricsUpdate(heartbeat(info(c.rounds(), 7L), info(c.examples(), 7168L),
          info(c.lossSum(), 28.0))); // no new round: nothing to show
      // Worker 0 and worker 1 in one executor's heartbeat: worker 1's zeros do not overwrite worker 0's values.
      progress.onExecutorMetricsUpdate(new SparkListenerExecutorMetricsUpdate("driver", seq(List.of(
          task(1L, info(c.rounds(), 9L), info(c.examples(), 9216L), info(c.lossSum(), 36.0)),
          task(2L, info(c.rounds(), 0L), info(c.examples(), 0L), info(c.lossSum(), 0.0)))), noMetrics()));
      assertEquals(List.of("3/3072/12.5", "7/7168/28.0", "9/9216/36.0"), shown);
    }
  }

  @Test
  void theEpochLineCountsTheRunningSegmentOnTopOfWhatTheEpochRecorded() {
    TrainingPlan plan = new TrainingPlan(dev.logq.common.model.ModelSpec.builder().numUsers(10).numItems(10)
        .embeddingDim(4).outputDim(4).seed(1).build(), "refined", true, 0, 64, 2, 2, 1, 17L, "adam", 0.01, 0.9, 0.999,
        1e-8, 0);
    EpochProgress progress = new EpochProgress(plan, 100, new TrainerState(0, 0, 0, 0.0, 0, List.of()));
    progress.startEpoch(0);
    progress.add(40.0, 1000, 0, 10); // the first segment: rounds 1-10
    dev.logq.job.console.EpochUpdate u = progress.showInSegment(10, 5, 500, 10.0); // the second one, 5 rounds in
    assertEquals(15, u.round(), "the epoch line stands at the segment's round");
    assertEquals(50.0 / 1500, u.meanLoss(), 1e-12, "the epoch's loss so far includes the running segment's");
    assertEquals(0.04, progress.update(10, java.util.Map.of(), false).meanLoss(), 1e-12,
        "display only: the epoch records nothing until the segment's result comes");
  }

  private static AccumulableInfo info(AccumulatorV2<?, ?> acc, Object value) {
    return acc.toInfo(Option.apply(value), Option.empty());
  }

  private static SparkListenerExecutorMetricsUpdate heartbeat(AccumulableInfo... infos) {
    return new SparkListenerExecutorMetricsUpdate("driver", seq(List.of(task(1L, infos))), noMetrics());
  }

  private static Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> task(long id,
                                                                                         AccumulableInfo... infos) {
    return new Tuple4<>(id, 0, 0, seq(List.of(infos)));
  }

  private static <T> scala.collection.Seq<T> seq(List<T> list) {
    return JavaConverters.asScalaBuffer(list).toSeq();
  }

  private static scala.collection.Map<Tuple2<Object, Object>, ExecutorMetrics> noMetrics() {
    return scala.collection.immutable.Map$.MODULE$.<Tuple2<Object, Object>, ExecutorMetrics>empty();
  }
}
