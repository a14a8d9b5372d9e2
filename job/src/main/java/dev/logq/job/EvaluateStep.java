package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.common.freq.LogQTable;
import dev.logq.job.eval.DriverValidation;
import dev.logq.job.eval.EvalResult;
import dev.logq.job.eval.EvalSettings;
import dev.logq.job.eval.FullCatalogEvaluator;
import dev.logq.job.eval.TestEvaluation;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.train.Embedder;
import dev.logq.job.train.ModelFiles;
import dev.logq.job.train.TrainingPlan;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "evaluate" step and what shares its evaluator: the test metrics of a trained model's embeddings, the
 * per-epoch validation metrics, and output.recommendK's recommendations (eval.* settings throughout).
 */
final class EvaluateStep {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final SparkSession spark;
  private final JavaSparkContext sc;
  private final JobConfig config;
  private final Configuration hadoopConf;
  /** False only in the test that checks the driver's validation against Spark's. */
  private final boolean driverValidationEnabled;
  private Pipeline.Prepared driverValidationOf;
  private DriverValidation driverValidation;

  EvaluateStep(SparkSession spark, JobConfig config) {
    this(spark, config, true);
  }

  EvaluateStep(SparkSession spark, JobConfig config, boolean driverValidationEnabled) {
    this.driverValidationEnabled = driverValidationEnabled;
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.hadoopConf = spark.sparkContext().hadoopConfiguration();
  }

  /**
   * The validation metrics of the model {@code params} after {@code epoch}: the sampled validation users, full
   * catalog, their fit (training) items filtered, the same evaluator as the test; the metrics without the
   * popularity breakdown. The parameters go through a file per epoch under the run's checkpoint directory
   * (executors cache a model file by path), removed afterwards.
   */
  Map<String, Double> validate(Pipeline.Prepared data, TrainingPlan plan, dev.logq.common.model.TensorStore params,
                                       String checkpointDir, String loss, int epoch) {
    sc.setJobGroup("logq-validate", "Validation after epoch " + epoch + " (" + loss + ")", false);
    EvalSettings settings = validationSettings();
    DriverValidation onDriver = driverValidation(data, plan);
    if (onDriver != null) {
      dev.logq.common.model.ModelSpec spec = plan.model();
      float[] userVectors = Embedder.usersOnDriver(spec, params, onDriver.users(), onDriver.histories());
      float[] itemVectors = Embedder.itemsOnDriver(spec, params);
      sc.setJobGroup("logq-train", "Training (" + loss + ")", false);
      return recallAndNdcg(onDriver.evaluate(userVectors, itemVectors, spec.outputDim(), settings,
          itemCounts(data.logQ())));
    }
    String path = new org.apache.hadoop.fs.Path(checkpointDir, "_validation/epoch-" + epoch + "-"
        + java.util.UUID.randomUUID() + ".bin").toString();
    ModelFiles.write(params, path, hadoopConf);
    Embedder embedder = new Embedder(spark, plan.model(), path);
    int partitions = Math.max(2, sc.defaultParallelism());
    Dataset<Row> userEmb = embedder.users(data.train(), data.validationUsers()).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> itemEmb = embedder.items(partitions).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      EvalResult eval = new FullCatalogEvaluator(settings).evaluate(userEmb, itemEmb,
          data.validation(), data.train().select(Interactions.USER_INDEX, Interactions.ITEM_INDEX),
          itemCounts(data.logQ()));
      return recallAndNdcg(eval.metrics());
    } finally {
      userEmb.unpersist();
      itemEmb.unpersist();
      try {
        new org.apache.hadoop.fs.Path(path).getFileSystem(hadoopConf).delete(new org.apache.hadoop.fs.Path(path), false);
      } catch (IOException e) {
        LOG.warn("Could not remove {}: {}", path, e.getMessage());
      }
      sc.setJobGroup("logq-train", "Training (" + loss + ")", false);
    }
  }

  /** Whether the last validation scored on the driver (tests). */
  boolean validatedOnDriver() {
    return driverValidation != null;
  }

  /** eval.k plus the early-stopping metric's K, seen items filtered. */
  private EvalSettings validationSettings() {
    EvalSettings e = EvalSettings.of(config.eval());
    List<Integer> ks = new ArrayList<>(new java.util.TreeSet<>(e.ks()));
    String metric = config.train().earlyStoppingMetric();
    int metricK = Integer.parseInt(metric.substring(metric.indexOf('@') + 1));
    if (!ks.contains(metricK)) {
      ks.add(metricK);
    }
    return new EvalSettings(ks, true, e.headShare(), e.torsoShare(), e.userBlockSize(), e.itemBlockSize());
  }

  private static Map<String, Double> recallAndNdcg(Map<String, Double> metrics) {
    Map<String, Double> out = new java.util.TreeMap<>();
    metrics.forEach((k, v) -> {
      if (k.matches("(recall|ndcg)@[0-9]+")) {
        out.put(k, v);
      }
    });
    return out;
  }

  /**
   * The validation sample collected to the driver once per prepared data set (every loss of a compare run shares
   * it), when it is small enough to score there ({@link DriverValidation#fits}); null: validate in Spark.
   */
  private DriverValidation driverValidation(Pipeline.Prepared data, TrainingPlan plan) {
    if (driverValidationOf != data) {
      driverValidationOf = data;
      driverValidation = null;
      long users = data.validationUsers().count();
      if (driverValidationEnabled && DriverValidation.fits(users, plan.model().numItems(), plan.model().outputDim())) {
        driverValidation = DriverValidation.collect(data.validation(), data.train(),
            dev.logq.job.train.ShardBuilder.historyLength(plan.model().userTower()));
        LOG.info("Validation scores its {} users on the driver ({} items, dimension {})", users,
            plan.model().numItems(), plan.model().outputDim());
      } else {
        LOG.info("Validation scores its {} users in Spark ({} items, dimension {})", users, plan.model().numItems(),
            plan.model().outputDim());
      }
    }
    return driverValidation;
  }

  /**
   * The test metrics and, with output.recommendK, the recommendations: the test users' top K from the evaluation's
   * own blocked pass, a second pass only for output.recommendAllUsers ({@link TestEvaluation}).
   */
  EvalResult evaluateAndRecommend(Pipeline.Prepared data, Dataset<Row> userEmb, Dataset<Row> itemEmb, String uri) {
    return TestEvaluation.run(spark, EvalSettings.of(config.eval()), userEmb, itemEmb, data.test(), data.seen(),
        itemCounts(data.logQ()), OutputSettings.of(config).recommendK(), OutputSettings.of(config).recommendAllUsers(),
        data.users().mapping(), data.items().mapping(), uri);
  }

  /**
   * Full-catalog evaluation of embeddings ({@code user_idx|item_idx, embedding}) on the prepared test
   * split with the configured eval.* settings; the same call for every loss and for baselines.
   */
  EvalResult evaluate(Pipeline.Prepared data, Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings) {
    return new FullCatalogEvaluator(EvalSettings.of(config.eval())).evaluate(userEmbeddings, itemEmbeddings,
        data.test().select(Interactions.USER_INDEX, Interactions.ITEM_INDEX),
        data.seen().select(Interactions.USER_INDEX, Interactions.ITEM_INDEX), itemCounts(data.logQ()));
  }

  private static long[] itemCounts(LogQTable logQ) {
    double[] c = logQ.counts();
    long[] out = new long[c.length];
    for (int i = 0; i < c.length; i++) {
      out[i] = Math.round(c[i]);
    }
    return out;
  }
}
