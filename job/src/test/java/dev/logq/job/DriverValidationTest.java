package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.model.tower.UserTowers;
import dev.logq.job.train.TrainingPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small validation sample is scored on the driver ({@code DriverValidation}, no Spark job per epoch): its
 * metrics must be the bits of the distributed evaluation of the same parameters, for the id tower (with MLPs on
 * both towers, whose matrix products batch users and items in other groups on the driver) and the sequence tower
 * (embedded from the users' histories, as the history tower is), with the item blocks of the distributed pass
 * smaller than the catalog so that its blocking differs from the driver's.
 */
class DriverValidationTest {

  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("DriverValidationTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void driverMetricsEqualTheDistributedEvaluationsBitForBit() {
    List<List<String>> towers = List.of(
        List.of("model.userTower=id", "model.userMlp=[12]", "model.itemMlp=[12]"),
        // The history tower embeds through the same history path as the sequence tower (UserHistory.latest).
        List.of("model.userTower=sequence", "model.sequenceLength=8", "model.sequenceBlocks=1",
            "model.l2Normalize=false"));
    for (List<String> tower : towers) {
      List<String> settings = new ArrayList<>(List.of("synthetic.users=150", "synthetic.items=90",
          "synthetic.interactionsPerUser=12", "model.embeddingDim=8", "model.outputDim=8", "eval.k=[1,5,10]",
          "eval.itemBlockSize=16", "eval.userBlockSize=32", "split.validationUsers=100",
          "train.earlyStopping.metric=ndcg@20"));
      settings.addAll(tower);
      JobConfig config = JobConfig.load(null, settings);
      Pipeline.Prepared data = new Pipeline(spark, config, false).prepare();
      TrainingPlan plan = TrainingSetup.plan(config, UserTowers.fromConfig(config.model()), "refined",
          data.users().size(), data.items().size());
      TensorStore params = TwoTowerModel.initialParameters(plan.model());
      String dir = tmp.resolve("checkpoints-" + tower.get(0).substring(tower.get(0).indexOf('=') + 1)).toString();

      EvaluateStep driver = new EvaluateStep(spark, config, true);
      EvaluateStep distributed = new EvaluateStep(spark, config, false);
      Map<String, Double> onDriver = driver.validate(data, plan, params, dir, "refined", 1);
      Map<String, Double> inSpark = distributed.validate(data, plan, params, dir, "refined", 1);
      assertTrue(driver.validatedOnDriver(), "100 users x 90 items x 8 is small enough for the driver");
      assertFalse(distributed.validatedOnDriver());

      assertEquals(List.of("ndcg@1", "ndcg@10", "ndcg@20", "ndcg@5", "recall@1", "recall@10", "recall@20", "recall@5"),
          new ArrayList<>(inSpark.keySet()), tower.toString());
      assertEquals(inSpark, onDriver, tower + ": driver vs Spark validation metrics");
      assertTrue(inSpark.get("recall@20") > 0 && inSpark.get("recall@20") < 1, tower + " " + inSpark);
      for (Double v : onDriver.values()) {
        assertFalse(v.isNaN(), tower + " " + onDriver);
      }
    }
  }
}
