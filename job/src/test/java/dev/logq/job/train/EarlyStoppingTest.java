package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.TensorStore;
import dev.logq.job.SparkTestSession;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train.earlyStopping on a constructed validation-metric sequence: the decision rule alone, then the trainer:
 * it stops at the right epoch and its output model is, byte for byte, the best epoch's checkpoint.
 */
class EarlyStoppingTest {

  private static final PlantedClusters DATA = new PlantedClusters(120, 60, 8, 8, 3);
  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("EarlyStoppingTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void stopsAfterPatienceEpochsWithoutStrictImprovement() {
    EarlyStopping es = new EarlyStopping("recall@10", 2);
    double[] values = {0.10, 0.30, 0.30, 0.25, 0.40};
    int stoppedAfter = -1;
    for (int e = 1; e <= values.length; e++) {
      es.record(e, values[e - 1]);
      if (es.shouldStop()) {
        stoppedAfter = e;
        break;
      }
    }
    assertEquals(4, stoppedAfter, "a tie (epoch 3) is no improvement; epoch 4 is the second without one");
    assertEquals(2, es.bestEpoch());
    assertEquals(0.30, es.bestValue());
    Map<String, Object> summary = es.summary(5);
    assertEquals(true, summary.get("stoppedEarly"));
    assertEquals(2, summary.get("bestEpoch"));
    assertEquals(4, summary.get("epochsTrained"));

    EarlyStopping never = new EarlyStopping("ndcg@10", 0);
    for (int e = 1; e <= 5; e++) {
      never.record(e, 1.0 / e);
      assertFalse(never.shouldStop());
    }
    assertEquals(1, never.bestEpoch());
  }

  private static byte[] bytes(TensorStore params) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      params.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  private DistributedTrainer.Result train(String checkpoints, double[] metric, int patience, List<byte[]> seen,
                                          String backend) {
    return train(checkpoints, metric, patience, seen, backend, -1, false);
  }

  /** As above; the validation after epoch {@code failAt} throws (a crash after that epoch's checkpoint). */
  private DistributedTrainer.Result train(String checkpoints, double[] metric, int patience, List<byte[]> seen,
                                          String backend, int failAt,
                                          boolean resume) {
    ModelSpecHolder h = new ModelSpecHolder();
    TrainingPlan plan = new TrainingPlan(h.spec(), "refined", true, 0, 32, metric.length, 2, 1, 17L, "adam", 0.02,
        0.9, 0.999, 1e-8, 0);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<TrainingShard> shards = ShardBuilder.build(DATA.trainSet(spark), plan.workers(), 0, plan.seed());
    try {
      return new DistributedTrainer(sc, plan, checkpoints, new Configuration())
          .withBackend(backend)
          .withValidation((epoch, params) -> {
            if (epoch == failAt) {
              throw new IllegalStateException("interrupted before the validation of epoch " + epoch);
            }
            seen.add(bytes(params));
            return Map.of("recall@10", metric[epoch - 1], "ndcg@10", metric[epoch - 1] / 2);
          }, "recall@10", patience)
          .train(shards, DATA.itemLogQ(), resume);
    } finally {
      shards.unpersist(true);
    }
  }

  /** The model spec of the planted data (same shape as DistributedTrainerTest's, smaller). */
  private static final class ModelSpecHolder {
    dev.logq.common.model.ModelSpec spec() {
      return dev.logq.common.model.ModelSpec.builder().numUsers(DATA.users).numItems(DATA.items).embeddingDim(8)
          .outputDim(8).l2Normalize(true).temperature(0.1).initStd(0.1).seed(5).build();
    }
  }

  @Test
  void stopsAtTheRightEpochAndOutputsTheBestCheckpointsBytes() throws IOException {
    for (String backend : DistributedTrainer.backendNames()) {
      String dir = tmp.resolve("ckpt-" + backend).toString();
      List<byte[]> atEpochEnd = new ArrayList<>();
      // best at epoch 2, then 2 epochs without improvement: stops after epoch 4 of 6
      DistributedTrainer.Result r = train(dir, new double[] {0.2, 0.5, 0.4, 0.5, 0.9, 0.9}, 2, atEpochEnd, backend);
      assertEquals(4, atEpochEnd.size(), backend + ": validated after every epoch up to the stop");
      assertEquals(4, r.state().curve().size(), backend + ": four epochs trained");
      assertEquals(0.5, r.state().curve().get(1).validation().get("recall@10"));
      assertEquals(2, r.stopping().bestEpoch());
      assertTrue(r.stopping().shouldStop());

      Optional<String> best = Checkpoints.best(dir, new Configuration());
      assertTrue(best.isPresent(), backend + ": the best epoch's checkpoint is kept to the end");
      Checkpoints.Loaded loaded = Checkpoints.read(best.get(), new Configuration(), false);
      assertEquals(2, loaded.trainer().epoch(), backend + ": the kept checkpoint is epoch 2's end");
      // The checkpoint's model as Checkpoints reads it: one params.bin (rounds) or the workers' shards
      // assembled (collective).
      byte[] checkpointBytes = bytes(loaded.params());
      assertArrayEquals(checkpointBytes, bytes(r.params()), backend + ": output model = best checkpoint's bytes");
      assertArrayEquals(atEpochEnd.get(1), bytes(r.params()), backend + ": = the model validated after epoch 2");
      assertFalse(java.util.Arrays.equals(atEpochEnd.get(3), bytes(r.params())), "not the last epoch's model");
      try (Stream<Path> rounds = Files.list(Path.of(dir))) {
        assertEquals(2, rounds.filter(p -> p.getFileName().toString().startsWith("round-")).count(),
            backend + ": the newest checkpoint (for resume) and the best one, nothing else");
      }
    }
  }

  @Test
  void withoutPatienceEveryEpochTrainsAndTheLastModelIsOutput() {
    List<byte[]> atEpochEnd = new ArrayList<>();
    DistributedTrainer.Result r = train(null, new double[] {0.5, 0.1, 0.1}, 0, atEpochEnd,
        DistributedTrainer.ROUNDS);
    assertEquals(3, r.state().curve().size());
    assertEquals(1, r.stopping().bestEpoch());
    assertArrayEquals(atEpochEnd.get(2), bytes(r.params()));
  }

  /**
   * --resume with validation and early stopping: a run interrupted after epoch 3 (its checkpoint written, its
   * validation not run) and resumed gives the uninterrupted run's best epoch, output model and curve (losses and
   * validation metrics), for both backends.
   */
  @Test
  void anInterruptedRunResumedGivesTheSameBestEpochModelAndCurve() {
    double[] metric = {0.2, 0.5, 0.4, 0.5, 0.9, 0.9};
    for (String backend : DistributedTrainer.backendNames()) {
      DistributedTrainer.Result whole = train(tmp.resolve("whole-" + backend).toString(), metric, 2,
          new ArrayList<>(), backend);
      String dir = tmp.resolve("resumed-" + backend).toString();
      IllegalStateException crash = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> train(dir, metric, 2, new ArrayList<>(), backend, 3, false));
      assertTrue(crash.getMessage().contains("epoch 3"), crash.getMessage());
      List<byte[]> afterResume = new ArrayList<>();
      DistributedTrainer.Result resumed = train(dir, metric, 2, afterResume, backend, -1, true);
      assertEquals(2, afterResume.size(), backend + ": the resumed run validates epoch 3, then trains and validates 4");
      assertEquals(2, whole.stopping().bestEpoch());
      assertEquals(whole.stopping().bestEpoch(), resumed.stopping().bestEpoch(), backend + ": best epoch");
      assertEquals(whole.stopping().summary(metric.length), resumed.stopping().summary(metric.length), backend + ": summary");
      assertArrayEquals(bytes(whole.params()), bytes(resumed.params()), backend + ": the output model");
      assertEquals(whole.state().curve().size(), resumed.state().curve().size(), backend + ": epochs");
      for (int e = 0; e < whole.state().curve().size(); e++) {
        TrainerState.EpochStats a = whole.state().curve().get(e);
        TrainerState.EpochStats b = resumed.state().curve().get(e);
        assertEquals(a.meanLoss(), b.meanLoss(), backend + ": mean loss of epoch " + (e + 1));
        assertEquals(a.rounds(), b.rounds(), backend + ": rounds of epoch " + (e + 1));
        assertEquals(a.validation(), b.validation(), backend + ": validation metrics of epoch " + (e + 1));
      }
    }
  }
}
