package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.ShardPlacement;
import dev.logq.common.eval.TopK;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.model.tower.IdTower;
import dev.logq.job.SparkTestSession;
import dev.logq.job.train.collective.RowOwnership;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed trainer end to end on local Spark: it learns, it is reproducible bit for bit (also
 * through a retried task and a resume from a checkpoint), and local steps train too.
 */
class DistributedTrainerTest {

  private static final PlantedClusters DATA = new PlantedClusters(240, 120, 12, 16, 3);
  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() {
    // 2 threads; a failed task is tried up to 3 times (the failure-injection test needs a retry).
    spark = SparkTestSession.start("DistributedTrainerTest", "local[2,3]");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  static ModelSpec spec() {
    return ModelSpec.builder().numUsers(DATA.users).numItems(DATA.items).embeddingDim(16).outputDim(16)
        .l2Normalize(true).temperature(0.1).initStd(0.1).seed(5).build();
  }

  static TrainingPlan plan(String loss, int workers, int syncEvery, int epochs, int checkpointEvery) {
    return plan(loss, workers, syncEvery, epochs, checkpointEvery, 64);
  }

  static TrainingPlan plan(String loss, int workers, int syncEvery, int epochs, int checkpointEvery, int batchSize) {
    return new TrainingPlan(spec(), loss, true, 0, batchSize, epochs, workers, syncEvery, 17L, "adam", 0.02,
        0.9, 0.999, 1e-8, checkpointEvery);
  }

  private DistributedTrainer.Result train(TrainingPlan plan, String checkpoints, boolean resume, String failure) {
    return train(plan, checkpoints, resume, failure, DistributedTrainer.ROUNDS);
  }

  private DistributedTrainer.Result train(TrainingPlan plan, String checkpoints, boolean resume, String failure,
                                          String backend) {
    return train(plan, checkpoints, resume, failure, backend, 0);
  }

  private DistributedTrainer.Result train(TrainingPlan plan, String checkpoints, boolean resume, String failure,
                                          String backend, long maxPendingPatchBytes) {
    return train(plan, ShardBuilder.build(DATA.trainSet(spark), plan.workers(), 0, plan.seed()), checkpoints, resume,
        failure, backend, maxPendingPatchBytes);
  }

  /** Trains on {@code shards} and unpersists them. */
  private DistributedTrainer.Result train(TrainingPlan plan, JavaRDD<TrainingShard> shards, String checkpoints,
                                          boolean resume, String failure, String backend, long maxPendingPatchBytes) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    try {
      return new DistributedTrainer(sc, plan, checkpoints, new Configuration())
          .withFailureInjection(failure)
          .withBackend(backend)
          .withMaxPendingPatchBytes(maxPendingPatchBytes)
          .train(shards, DATA.itemLogQ(), resume);
    } finally {
      shards.unpersist(true);
    }
  }

  /** Recall@10 of the held-out item, full catalog, brute force on the driver. */
  static double recallAt10(TensorStore params) {
    TwoTowerModel model = new TwoTowerModel(spec());
    int d = spec().outputDim();
    float[] users = new float[DATA.users * d];
    float[] items = new float[DATA.items * d];
    int[] userIds = new int[DATA.users];
    int[] itemIds = new int[DATA.items];
    for (int u = 0; u < DATA.users; u++) {
      userIds[u] = u;
    }
    for (int i = 0; i < DATA.items; i++) {
      itemIds[i] = i;
    }
    model.userEmbeddings(params, userIds, null, DATA.users, users);
    model.itemEmbeddings(params, itemIds, DATA.items, items);
    int hits = 0;
    for (int u = 0; u < DATA.users; u++) {
      TopK top = new TopK(10);
      for (int i = 0; i < DATA.items; i++) {
        float s = 0;
        for (int k = 0; k < d; k++) {
          s += users[u * d + k] * items[i * d + k];
        }
        top.offer(s, i);
      }
      for (int i : top.sortedItems()) {
        if (i == DATA.test[u]) {
          hits++;
        }
      }
    }
    return hits / (double) DATA.users;
  }

  @Test
  void learnsFarAboveRandomAndTheLossFalls() {
    DistributedTrainer.Result result = train(plan("refined", 2, 1, 6, 0), null, false, null);
    double recall = recallAt10(result.params());
    double random = 10.0 / DATA.items;
    // Users pick 90% of their items from a 10-item cluster: a model that learned the clusters gets
    // most held-out items into its top 10.
    assertTrue(recall > 0.45, "recall@10 " + recall + " vs random " + random);
    var curve = result.state().curve();
    assertEquals(6, curve.size());
    assertTrue(curve.get(5).meanLoss() < curve.get(0).meanLoss() - 0.05,
        "loss should fall: " + curve.get(0).meanLoss() + " -> " + curve.get(5).meanLoss());
    assertCostsAddUp(result.sync(), 6);
  }

  /**
   * The per-epoch costs sum to the run's: every epoch is there, its rounds add up, the gradient and the optimizer
   * step were measured and fit in the round's wall, and the run's means are the epochs' round-weighted means.
   */
  static void assertCostsAddUp(DistributedTrainer.SyncStats s, int epochs) {
    assertEquals(epochs, s.epochs().size(), "epochs in " + s);
    long rounds = 0;
    double wall = 0;
    double gradient = 0;
    double step = 0;
    for (int e = 0; e < epochs; e++) {
      DistributedTrainer.EpochSync x = s.epochs().get(e);
      assertEquals(e + 1, x.epoch());
      assertTrue(x.meanWorkerComputeMillis() > 0 && x.meanOptimizerStepMillis() > 0, "measured: " + x);
      assertTrue(x.meanWorkerComputeMillis() + x.meanOptimizerStepMillis() <= x.meanRoundMillis(), "within: " + x);
      assertEquals((x.meanRoundMillis() - x.meanWorkerComputeMillis() - x.meanOptimizerStepMillis())
          / x.meanRoundMillis(), x.nonComputeShare(), 1e-12);
      assertTrue(x.meanLoopMillis() > 0 && x.meanLoopMillis() <= x.meanRoundMillis(), "the rounds within the wall: " + x);
      assertTrue(x.roundNonComputeShare() <= x.nonComputeShare(), "the segments' costs only add: " + x);
      rounds += x.rounds();
      wall += x.rounds() * x.meanRoundMillis();
      gradient += x.rounds() * x.meanWorkerComputeMillis();
      step += x.rounds() * x.meanOptimizerStepMillis();
    }
    assertEquals(s.rounds(), rounds);
    assertEquals(wall / rounds, s.meanRoundMillis(), 1e-9 * wall);
    assertEquals(gradient / rounds, s.meanWorkerComputeMillis(), 1e-9 * wall);
    assertEquals(step / rounds, s.meanOptimizerStepMillis(), 1e-9 * wall);
  }

  @Test
  void shardsAreBalancedAndIndependentOfTheInputLayout() {
    java.util.List<Integer> sizes = ShardBuilder.sizes(ShardBuilder.build(DATA.trainSet(spark), 3, 0, 17L));
    java.util.List<Integer> again = ShardBuilder.sizes(ShardBuilder.build(DATA.trainSet(spark).repartition(7), 3, 0, 17L));
    assertEquals(sizes, again);
    int total = sizes.stream().mapToInt(Integer::intValue).sum();
    assertEquals(DATA.train.size(), total);
    for (int size : sizes) {
      assertTrue(Math.abs(size - total / 3.0) < 0.1 * total / 3.0, "unbalanced shards " + sizes);
    }
  }

  /**
   * train.placement = user: every example on the worker that owns its user's row in the collective backend's
   * sharding (built as the workers build it, from the model's tables), whatever the input's layout; both backends
   * train the same bits on those shards; per-user rows no longer travel, so a collective worker sends less than
   * half what it sends with the examples spread; and the model learns as well.
   */
  @Test
  void placementByUserKeepsEveryUsersRowOnItsWorkerAndTrainsOneModel() {
    TrainingPlan plan = plan("refined", 2, 1, 6, 0);
    RowOwnership ownership = new RowOwnership(2, plan.seed(),
        ShardedCheckpoints.tableRows(TwoTowerModel.initialParameters(spec())));
    List<TrainingShard> placed = ShardBuilder.build(DATA.trainSet(spark), 2, new IdTower(), plan.seed(),
        ShardPlacement.USER, DATA.users).collect();
    List<TrainingShard> again = ShardBuilder.build(DATA.trainSet(spark).repartition(7), 2, new IdTower(),
        plan.seed(), ShardPlacement.AUTO, DATA.users).collect();
    java.util.List<Long> examples = new java.util.ArrayList<>();
    for (int w = 0; w < 2; w++) {
      TrainingShard shard = placed.get(w);
      assertEquals(w, shard.partition());
      assertEquals(shard.size(), again.get(w).size(), "the input's layout moved examples");
      for (int i = 0; i < shard.size(); i++) {
        assertEquals(w, ownership.owner(IdTower.EMBEDDING, shard.user(i)), "user " + shard.user(i) + " on worker " + w);
        assertEquals(shard.user(i), again.get(w).user(i));
        assertEquals(shard.item(i), again.get(w).item(i));
        examples.add((long) shard.user(i) * DATA.items + shard.item(i));
      }
    }
    java.util.List<Long> expected = new java.util.ArrayList<>();
    for (org.apache.spark.sql.Row r : DATA.train) {
      expected.add((long) r.getInt(0) * DATA.items + r.getInt(1));
    }
    java.util.Collections.sort(examples);
    java.util.Collections.sort(expected);
    assertEquals(expected, examples, "every training example on exactly one worker");

    DistributedTrainer.Result rounds = train(plan, byUser(plan), null, false, null, DistributedTrainer.ROUNDS, 0);
    DistributedTrainer.Result collective = train(plan, byUser(plan), null, false, null, DistributedTrainer.COLLECTIVE, 0);
    assertTrue(rounds.params().bitwiseEquals(collective.params()), "collective differs from rounds by user");
    double spread = train(plan, null, false, null, DistributedTrainer.COLLECTIVE).sync().meanWorkerSentKilobytes();
    double sent = collective.sync().meanWorkerSentKilobytes();
    assertTrue(sent < 0.5 * spread, "sent " + sent + " KiB a round by user, " + spread + " with examples spread");
    double recall = recallAt10(collective.params());
    assertTrue(recall > 0.45, "recall@10 by user " + recall);
  }

  private JavaRDD<TrainingShard> byUser(TrainingPlan plan) {
    return ShardBuilder.build(DATA.trainSet(spark), plan.workers(), new IdTower(), plan.seed(), ShardPlacement.USER,
        DATA.users);
  }

  @Test
  void sameSeedSameModelBitForBitAndARetriedTaskChangesNothing() {
    TrainingPlan plan = plan("refined", 2, 1, 2, 0);
    TensorStore first = train(plan, null, false, null).params();
    TensorStore second = train(plan, null, false, null).params();
    assertTrue(first.bitwiseEquals(second), "two runs with the same seed differ");
    // Round 5's task on partition 1 fails on its first attempt; Spark retries it.
    TensorStore retried = train(plan, null, false, "5:1").params();
    assertTrue(first.bitwiseEquals(retried), "a retried task changed the model");
    TensorStore otherSeed = train(new TrainingPlan(spec(), "refined", true, 0, 64, 2, 2, 1, 18L, "adam", 0.02,
        0.9, 0.999, 1e-8, 0), null, false, null).params();
    assertFalse(first.bitwiseEquals(otherSeed), "the seed should matter");
  }

  @Test
  void resumeFromACheckpointEndsWithTheUninterruptedModel() throws Exception {
    TrainingPlan full = plan("standard", 2, 1, 3, 7);
    TensorStore uninterrupted = train(full, null, false, null).params();

    String dir = tmp.resolve("ckpt").toUri().toString();
    // "Killed" after epoch 2: an earlier run of only two epochs leaves its checkpoints behind,
    // plus a half-written one that resume must ignore.
    train(plan("standard", 2, 1, 2, 7), dir, false, null);
    Path partial = tmp.resolve("ckpt").resolve("round-999999999999");
    Files.createDirectories(partial);
    Files.writeString(partial.resolve("params.bin"), "truncated");
    DistributedTrainer.Result resumed = train(full, dir, true, null);
    assertTrue(uninterrupted.bitwiseEquals(resumed.params()), "resumed model differs from uninterrupted");
    assertEquals(3, resumed.state().curve().size());
  }

  @Test
  void resumeInTheMiddleOfAnEpochEndsWithTheUninterruptedModel() {
    TrainingPlan full = plan("refined", 2, 1, 2, 5);
    TensorStore uninterrupted = train(full, null, false, null).params();
    String dir = tmp.resolve("mid").toUri().toString();
    // The failure in round 9 is injected into every attempt of the driver's run: the job dies there.
    assertThrows(Exception.class, () -> train(full, dir, false, "9:0:always"));
    assertTrue(Checkpoints.latestComplete(dir, new Configuration()).orElseThrow().endsWith("round-000000000005"));
    TensorStore resumed = train(full, dir, true, null).params();
    assertTrue(uninterrupted.bitwiseEquals(resumed), "mid-epoch resume differs from uninterrupted");
  }

  @Test
  void boundedPendingPatchesCheckpointEarlyAndChangeNoBits() {
    // Batches of 256: 6 rounds per epoch (a checkpoint per round costs, so not the 21 of batches of 64).
    TrainingPlan plan = plan("refined", 2, 1, 2, 0, 256);
    TensorStore unbounded = train(plan, null, false, null).params();
    String dir = tmp.resolve("bounded").toUri().toString();
    // A 1-byte bound: every round's patch exceeds it, so every round checkpoints although
    // checkpointEverySteps = 0. The job dies in round 9 (mid epoch 2); its newest checkpoint is the round before.
    assertThrows(Exception.class,
        () -> train(plan, dir, false, "9:0:always", DistributedTrainer.ROUNDS, 1));
    assertTrue(Checkpoints.latestComplete(dir, new Configuration()).orElseThrow().endsWith("round-000000000009"),
        Checkpoints.latestComplete(dir, new Configuration()).orElseThrow());
    TensorStore resumed = train(plan, dir, true, null, DistributedTrainer.ROUNDS, 1).params();
    assertTrue(unbounded.bitwiseEquals(resumed), "bounded pending patches changed the model");
  }

  @Test
  void localStepsWithParameterAveragingTrainAndAreReproducible() {
    TrainingPlan plan = plan("refined", 2, 4, 6, 0);
    DistributedTrainer.Result a = train(plan, null, false, null);
    DistributedTrainer.Result b = train(plan, null, false, null);
    assertTrue(a.params().bitwiseEquals(b.params()));
    double recall = recallAt10(a.params());
    assertTrue(recall > 0.35, "recall@10 with syncEvery=4: " + recall);
  }

  /**
   * The collective backend (workers exchange directly, owners step their rows) writes the same bits as rounds:
   * gradient averaging with Adam and Adagrad, local steps (syncEvery 3) with Adam; through a failed task (the
   * driver reruns the segment from its sharded checkpoint) and a --resume from the shards. Batches of 256 give
   * 6 rounds per epoch; checkpoints every 4 rounds make the segments [0,4) [4,6) | [6,8) [8,12), one
   * rendezvous each, so the failure in round 10 hits a mid-epoch segment after a mid-epoch checkpoint.
   */
  @Test
  void collectiveBackendTrainsTheSameModelBitForBitAlsoThroughARetryAndAResume() {
    String collective = DistributedTrainer.COLLECTIVE;
    TrainingPlan adagrad = new TrainingPlan(spec(), "refined", true, 0, 256, 2, 2, 1, 17L, "adagrad", 0.05,
        0.9, 0.999, 1e-8, 4);
    for (TrainingPlan plan : List.of(plan("refined", 2, 3, 2, 4, 256), adagrad)) {
      TensorStore rounds = train(plan, null, false, null).params();
      DistributedTrainer.Result viaCollective = train(plan, null, false, null, collective);
      assertTrue(rounds.bitwiseEquals(viaCollective.params()), "collective differs from rounds: " + plan);
      assertCostsAddUp(viaCollective.sync(), 2);
    }
    TrainingPlan plan = plan("refined", 2, 1, 2, 4, 256);
    TensorStore expected = train(plan, null, false, null).params();
    assertTrue(expected.bitwiseEquals(train(plan, null, false, "10:1", collective).params()), "collective retry");
    String dir = tmp.resolve("collective").toUri().toString();
    Exception failed = assertThrows(Exception.class, () -> train(plan, dir, false, "10:0:always", collective));
    assertTrue(String.valueOf(failed.getMessage()).contains("Injected failure in round 10, partition 0"),
        failed.getMessage());
    String latest = Checkpoints.latestComplete(dir, new Configuration()).orElseThrow();
    assertTrue(latest.endsWith("round-000000000008"), latest);
    // Written by the workers, one shard each; read back as one full model with the rounds backend's bits.
    assertTrue(new java.io.File(java.net.URI.create(latest + "/shard-1-of-2/optimizer.bin")).isFile(), latest);
    assertTrue(!new java.io.File(java.net.URI.create(latest + "/params.bin")).exists(), latest);
    assertTrue(expected.bitwiseEquals(train(plan, dir, true, null, collective).params()), "collective resume");
  }

  /**
   * loss.negatives = global (issue 14 item 3): the rounds backend (ids carried by the previous round's results,
   * a job of their own at an epoch's start and after a resume) and the collective backend (all-gathered every
   * round) train the same bits, also through a mid-epoch resume; one worker's global batch is its local one; and
   * with two workers the option changes the model (the columns are the union) and it still learns.
   */
  @Test
  void globalNegativesTrainOneModelOnBothBackendsThroughAResume() {
    TrainingPlan global = plan("refined", 2, 1, 2, 4, 256).withGlobalNegatives(true);
    DistributedTrainer.Result viaRounds = train(global, null, false, null);
    TensorStore rounds = viaRounds.params();
    assertTrue(rounds.bitwiseEquals(train(global, null, false, null, DistributedTrainer.COLLECTIVE).params()),
        "collective differs from rounds with global negatives");
    assertFalse(rounds.bitwiseEquals(train(plan("refined", 2, 1, 2, 4, 256), null, false, null).params()),
        "global negatives should change the columns of two workers");
    String dir = tmp.resolve("global").toUri().toString();
    assertThrows(Exception.class, () -> train(global, dir, false, "9:0:always"));
    assertTrue(Checkpoints.latestComplete(dir, new Configuration()).orElseThrow().endsWith("round-000000000008"));
    assertTrue(rounds.bitwiseEquals(train(global, dir, true, null).params()), "global negatives after a resume");

    TrainingPlan one = plan("standard", 1, 1, 1, 0, 256);
    assertTrue(train(one, null, false, null).params().bitwiseEquals(
        train(one.withGlobalNegatives(true), null, false, null).params()), "one worker: global is local");

    double recall = recallAt10(train(plan("refined", 2, 1, 6, 0).withGlobalNegatives(true), null, false, null)
        .params());
    assertTrue(recall > 0.45, "recall@10 with global negatives " + recall);
  }

  @Test
  void oneAndTwoWorkersReachTheSameQuality() {
    double one = recallAt10(train(plan("refined", 1, 1, 6, 0), null, false, null).params());
    double two = recallAt10(train(plan("refined", 2, 1, 6, 0), null, false, null).params());
    assertTrue(Math.abs(one - two) < 0.1, "1 worker " + one + " vs 2 workers " + two);
  }
}
