package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.JobConfig.LossType;
import dev.logq.common.data.Interactions;
import dev.logq.common.data.SyntheticModel;
import dev.logq.common.error.DataException;
import dev.logq.common.freq.LogQTable;
import dev.logq.common.model.tower.UserTower;
import dev.logq.common.model.tower.UserTowers;
import dev.logq.job.console.JobConsole;
import dev.logq.job.console.RunLog;
import dev.logq.job.eval.EvalResult;
import dev.logq.job.eval.EvalSettings;
import dev.logq.job.eval.FullCatalogEvaluator;
import dev.logq.job.eval.PlantedDistance;
import dev.logq.job.eval.TestEvaluation;
import dev.logq.job.freq.FrequencyTableBuilder;
import dev.logq.job.ingest.IdIndex;
import dev.logq.job.output.AtomicOutput;
import dev.logq.job.output.CompletedOutput;
import dev.logq.job.output.EmbeddingWriter;
import dev.logq.job.output.JsonOutput;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.output.Provenance;
import dev.logq.job.report.TrainingCurveWriter;
import dev.logq.job.split.SplitResult;
import dev.logq.job.split.Splitter;
import dev.logq.job.split.ValidationSplit;
import dev.logq.job.train.DistributedTrainer;
import dev.logq.job.train.Embedder;
import dev.logq.job.train.ModelFiles;
import dev.logq.job.train.ShardBuilder;
import dev.logq.job.train.TrainingPlan;
import dev.logq.job.train.TrainingShard;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The train and compare modes, top to bottom as README's "How training works" draws them:
 * <pre>
 *   read + validate ─▶ split ─▶ index ids ─▶ count items (log Q)            {@link #prepare}
 *     ─▶ shard ─▶ synchronous data-parallel rounds ─▶ embed ─▶ evaluate     {@link #trainAndEvaluate}, per loss
 *     ─▶ write (one atomic output)                                          {@link #run}
 * </pre>
 * Each step is one call; what the steps need from the configuration is resolved here once (the user tower,
 * the training plan).
 */
final class Pipeline {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
  /** compare mode adds the exact full softmax only for catalogs this small (it is O(catalog) per step). */
  static final int FULL_SOFTMAX_MAX_ITEMS = 20_000;

  private final SparkSession spark;
  private final JavaSparkContext sc;
  private final JobConfig config;
  /** model.userTower, resolved once. */
  private final UserTower userTower;
  private final boolean resume;
  private final Configuration hadoopConf;
  private final MetricsDocument metrics = new MetricsDocument();
  private final RunReport report;
  private final RunCheckpoints checkpoints;
  private final long started = System.nanoTime();

  Pipeline(SparkSession spark, JobConfig config, boolean resume) {
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.userTower = UserTowers.fromConfig(config.model());
    this.resume = resume;
    this.hadoopConf = spark.sparkContext().hadoopConfiguration();
    this.report = new RunReport(config, metrics);
    this.checkpoints = new RunCheckpoints(config, hadoopConf);
  }

  /**
   * The indexed data every loss trains and is evaluated on: train and test hold user_idx, item_idx,
   * ts and weight. Package-visible so a baseline trained outside the pipeline (bench) sees the same split.
   */
  record Prepared(Dataset<Row> train, Dataset<Row> test, IdIndex users, IdIndex items, LogQTable logQ,
                  SyntheticModel planted, Dataset<Row> validation, Dataset<Row> validationUsers, Dataset<Row> seen) {
    Prepared(Dataset<Row> train, Dataset<Row> test, IdIndex users, IdIndex items, LogQTable logQ,
             SyntheticModel planted) {
      this(train, test, users, items, logQ, planted, null, null, train);
    }
  }

  void run() throws IOException {
    String outputPath = config.output().path();
    if (config.output().skipIfComplete() && !config.output().overwrite()
        && CompletedOutput.sameRunComplete(hadoopConf, outputPath, config)) {
      // A retry of a run that committed (e.g. the scheduler lost its exit status): nothing to do.
      LOG.info("{} already holds a complete run with this configuration (output.skipIfComplete = true); nothing to do",
          outputPath);
      JobConsole.line("nothing to do: " + outputPath + " already holds a complete run of this configuration");
      checkpoints.delete();
      return;
    }
    // Fail before any work when the output exists (exit 4), not after an hour of training.
    AtomicOutput.checkWritable(hadoopConf, outputPath, config.output().overwrite());
    metrics.run(config.run().id(), config.run().ds(), config.mode().configName(), outputPath)
        .versions(Provenance.versions(spark))
        .config(config.toMap());

    Prepared data = prepare();
    List<LossType> losses = config.mode() == JobConfig.Mode.COMPARE ? compareLosses(data) : List.of(config.loss().type());
    try (AtomicOutput out = AtomicOutput.begin(hadoopConf, outputPath, config.output().overwrite(), config.run().id())) {
      RunLog.attach(out);
      EmbeddingWriter.writeIdIndex(data.users().mapping(), out.stagingUri("index/users"));
      EmbeddingWriter.writeIdIndex(data.items().mapping(), out.stagingUri("index/items"));
      try (OutputStream s = out.create("model/logq-table.bin")) {
        data.logQ().writeTo(s);
      }
      out.writeString(CompletedOutput.RECORDED_CONFIG, config.toHocon());

      checkpoints.prepare(resume);
      List<RunReport.Trained> runs = new ArrayList<>();
      try {
        for (LossType loss : losses) {
          String prefix = losses.size() == 1 ? "" : "runs/" + loss.configName() + "/";
          runs.add(trainAndEvaluate(data, loss, out, prefix));
        }
      } catch (IOException | RuntimeException e) {
        checkpoints.removeIfNoRounds();
        throw e;
      }
      report.write(out, data.users().size(), data.items().size(), runs, seconds(started));
      RunLog.beforeCommit(out);
      out.commit();
      checkpoints.delete();
      LOG.info("Output committed to {} in {} s", out.finalPath(), seconds(started));
      JobConsole.finish(out.finalPath().toString(), seconds(started));
    }
  }

  private List<LossType> compareLosses(Prepared data) {
    List<LossType> losses = new ArrayList<>(List.of(LossType.NONE, LossType.STANDARD, LossType.REFINED));
    if (data.items().size() <= FULL_SOFTMAX_MAX_ITEMS) {
      losses.add(LossType.FULL);
    } else {
      LOG.info("compare: skipping the full softmax, the catalog has {} items (> {})", data.items().size(),
          FULL_SOFTMAX_MAX_ITEMS);
    }
    return losses;
  }

  /** Reads, splits, indexes and counts; every run of the same configuration gives the same result. */
  Prepared prepare() {
    long t0 = System.nanoTime();
    sc.setJobGroup("logq-ingest", "Reading and validating input", false);
    InputStep.Read input = InputStep.read(spark, config, metrics);
    JobConsole.stage("read", JobConsole.readDetail(input.counts(), config.input().isSynthetic()));

    sc.setJobGroup("logq-split", "Filtering and splitting (" + config.split().method().configName() + ")", false);
    SplitResult split = Splitter.prepare(input.interactions(), input.givenTest(), config);
    metrics.put("split", split.stats());
    LOG.info("Split {}: {} training and {} test interactions", config.split().method().configName(),
        split.trainRows(), split.testRows());
    JobConsole.stage("split", String.format(java.util.Locale.ROOT, "%s: %,d training, %,d test interactions",
        config.split().method().configName(), split.trainRows(), split.testRows()));
    if (split.testRows() == 0) {
      throw new DataException(config.input().path(), "no test interactions remain after the split and the cold-start"
          + " rules (split " + split.stats() + "); there is nothing to evaluate");
    }

    // The validation split comes out of the training part only; the model trains on the rest (fit).
    Dataset<Row> fitRows = split.train();
    ValidationSplit.Result validationSplit = null;
    if (config.split().hasValidation()) {
      sc.setJobGroup("logq-split", "Holding out the validation split from the training part", false);
      validationSplit = ValidationSplit.carve(split.train(), config.split(), userTower.embedsUnseenUsers());
      metrics.put("validation_split", validationSplit.stats(config.split().validationLeaveLastOut()
          ? "leave-last-out" : String.valueOf(config.split().validationFraction())));
      LOG.info("Validation split: {} of the {} training interactions held out for validation ({} evaluable)",
          validationSplit.validationRowsBeforeColdStart(), split.trainRows(), validationSplit.validationRows());
      if (validationSplit.fitRows() == 0) {
        throw new DataException(config.input().path(), "the validation split (split.validation) left no training"
            + " interactions; use split.validation = none or a smaller fraction");
      }
      fitRows = validationSplit.fit();
    }

    sc.setJobGroup("logq-index", "Indexing user and item ids", false);
    // A tower that reads the user's items embeds users it never trained on, so index them too.
    IdIndex users = IdIndex.build(userTower.embedsUnseenUsers() ? split.train().select(Interactions.USER)
        .union(split.test().select(Interactions.USER)) : fitRows, Interactions.USER);
    IdIndex items = IdIndex.build(fitRows, Interactions.ITEM);
    Indexing.requireEnoughToRank(users, items, config.input().isSynthetic() ? null : config.input().path());
    Dataset<Row> train = Indexing.index(fitRows, users, items).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> test = Indexing.index(split.test(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> validation = null;
    Dataset<Row> validationUsers = null;
    Dataset<Row> seen = train;
    if (validationSplit != null) {
      validation = Indexing.index(validationSplit.validation(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
      validationUsers = ValidationSplit.sampleUsers(validation, config.split().validationUsers(), config.split().seed())
          .persist(StorageLevel.MEMORY_AND_DISK());
      long sampled = validationUsers.count();
      if (sampled == 0) {
        LOG.warn("The validation split holds no evaluable interaction; no validation metrics");
        validation = null;
        validationUsers = null;
      } else {
        validation = validation.join(validationUsers, Interactions.USER_INDEX)
            .select(Interactions.USER_INDEX, Interactions.ITEM_INDEX).persist(StorageLevel.MEMORY_AND_DISK());
        LOG.info("Validating {} users at every epoch end ({} pairs)", sampled, validation.count());
      }
      // What the user did in the whole training part: test-time histories and the items the test ranking skips.
      seen = Indexing.index(split.train(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
    }
    long testPairs = test.count();
    LOG.info("Indexed {} users and {} items; {} test interactions map to the training catalog", users.size(),
        items.size(), testPairs);

    sc.setJobGroup("logq-freq", "Counting item frequencies (log Q)", false);
    LogQTable logQ = FrequencyTableBuilder.build(train, Interactions.ITEM_INDEX, items.size(),
        config.input().hasWeightColumn() && !config.input().isSynthetic() ? Interactions.WEIGHT : null);
    long trainPairs = train.count();
    metrics.counts("catalog", Map.of("users", users.size(), "items", items.size(), "train_pairs", trainPairs,
        "test_pairs", testPairs));
    JobConsole.stage("index", String.format(java.util.Locale.ROOT, "%,d users, %,d items, %,d training pairs",
        users.size(), items.size(), trainPairs));
    long perWorker = (trainPairs + config.train().workers() - 1) / config.train().workers();
    if (config.train().batchSize() > perWorker) {
      LOG.warn("train.batchSize = {} is larger than a worker's share of the training data (about {} of {} interactions"
          + " over {} workers): each worker takes its whole shard as one batch, so an epoch is one synchronised step",
          config.train().batchSize(), perWorker, trainPairs, config.train().workers());
    }
    metrics.timing("prepare", seconds(t0));
    return new Prepared(train, test, users, items, logQ, input.planted(), validation, validationUsers, seen);
  }

  /** Shard, train, save the model, embed, evaluate: one loss. */
  private RunReport.Trained trainAndEvaluate(Prepared data, LossType loss, AtomicOutput out, String prefix)
      throws IOException {
    long t0 = System.nanoTime();
    TrainingPlan plan = TrainingSetup.plan(config, userTower, loss, data.users().size(), data.items().size());
    LOG.info("Training loss={} ({} workers, batch {} per worker, {} epochs, syncEvery {}; driver {})",
        loss.configName(), plan.workers(), plan.batchSize(), plan.epochs(), plan.syncEvery(),
        dev.logq.common.linalg.Exp.describe());
    JavaRDD<TrainingShard> shards = ShardBuilder.build(data.train(), plan.workers(), userTower, plan.seed());
    DistributedTrainer.Result result;
    try {
      DistributedTrainer trainer = new DistributedTrainer(sc, plan, checkpoints.dirFor(prefix), hadoopConf)
          .withBackend(config.train().syncBackend())
          .withMaxPendingPatchBytes(config.train().maxPendingPatchMegabytes() * 1048576L);
      if (data.validation() != null) {
        String dir = checkpoints.dirFor(prefix);
        trainer.withValidation((epoch, params) -> validate(data, plan, params, dir, loss, epoch),
            config.train().earlyStoppingMetric(), config.train().earlyStoppingPatience());
      }
      result = trainer.train(shards, data.logQ().toArray(), resume);
    } finally {
      shards.unpersist(false);
    }
    double trainSeconds = seconds(t0);
    JobConsole.stage("train", JobConsole.trainDetail(loss.configName(), result.state().curve().size(),
        result.state().globalRound(), plan.workers()), trainSeconds);

    String modelUri = out.stagingUri(prefix + "model/params.bin");
    ModelFiles.write(result.params(), modelUri, hadoopConf);
    JsonOutput.write(out, prefix + "model/spec.json", TrainingSetup.specJson(plan.model(), config.model(), loss));
    TrainingCurveWriter.write(out, prefix + "curve", RunReport.curve(result.state()));

    sc.setJobGroup("logq-embed", "Embedding users and items (" + loss.configName() + ")", false);
    Embedder embedder = new Embedder(spark, plan.model(), modelUri);
    int partitions = Math.max(2, sc.defaultParallelism());
    Dataset<Row> userEmb = embedder.users(data.seen(), partitions).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> itemEmb = embedder.items(partitions).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      if (config.output().writeEmbeddings()) {
        EmbeddingWriter.write(userEmb, Interactions.USER_INDEX, data.users().mapping(),
            out.stagingUri(prefix + "embeddings/users"));
        EmbeddingWriter.write(itemEmb, Interactions.ITEM_INDEX, data.items().mapping(),
            out.stagingUri(prefix + "embeddings/items"));
      }
      sc.setJobGroup("logq-eval", "Full-catalog evaluation (" + loss.configName() + ")", false);
      // output.recommendK: the test users' top K come out of the evaluation's blocked pass (TestEvaluation).
      EvalResult eval = TestEvaluation.run(spark, EvalSettings.of(config.eval()), userEmb, itemEmb, data.test(),
          data.seen(), itemCounts(data.logQ()), config.output().recommendK(), config.output().recommendAllUsers(),
          data.users().mapping(), data.items().mapping(), out.stagingUri(prefix + "recommendations"));
      Map<String, Double> planted = data.planted() == null ? Map.of() : PlantedDistance.fromPlanted(data.planted(),
          data.users().toArray(), data.items().toArray(), userEmb, itemEmb, 1.0 / plan.model().temperature());
      report.logMetrics(loss.configName(), eval, planted);
      JobConsole.stage("evaluate", String.format(java.util.Locale.ROOT, "%s: %,d test users, full catalog of %,d items",
          loss.configName(), eval.counts().getOrDefault("evaluated_users", 0L), data.items().size()));
      return new RunReport.Trained(loss.configName(), eval, planted, result.state(), result.sync(), trainSeconds,
          result.stopping() == null ? null : result.stopping().summary(plan.epochs()));
    } finally {
      userEmb.unpersist();
      itemEmb.unpersist();
    }
  }

  /**
   * The validation metrics of the model {@code params} after {@code epoch}: the sampled validation users, full
   * catalog, their fit (training) items filtered, the same evaluator as the test; the metrics without the
   * popularity breakdown. The parameters go through a file per epoch under the run's checkpoint directory
   * (executors cache a model file by path), removed afterwards.
   */
  private Map<String, Double> validate(Prepared data, TrainingPlan plan, dev.logq.common.model.TensorStore params,
                                       String checkpointDir, LossType loss, int epoch) {
    sc.setJobGroup("logq-validate", "Validation after epoch " + epoch + " (" + loss.configName() + ")", false);
    String path = new org.apache.hadoop.fs.Path(checkpointDir, "_validation/epoch-" + epoch + "-"
        + java.util.UUID.randomUUID() + ".bin").toString();
    ModelFiles.write(params, path, hadoopConf);
    Embedder embedder = new Embedder(spark, plan.model(), path);
    int partitions = Math.max(2, sc.defaultParallelism());
    Dataset<Row> userEmb = embedder.users(data.train(), data.validationUsers()).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> itemEmb = embedder.items(partitions).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      EvalSettings e = EvalSettings.of(config.eval());
      List<Integer> ks = new ArrayList<>(new java.util.TreeSet<>(e.ks()));
      String metric = config.train().earlyStoppingMetric();
      int metricK = Integer.parseInt(metric.substring(metric.indexOf('@') + 1));
      if (!ks.contains(metricK)) {
        ks.add(metricK);
      }
      EvalSettings settings = new EvalSettings(ks, true, e.headShare(), e.torsoShare(), e.userBlockSize(),
          e.itemBlockSize());
      EvalResult eval = new FullCatalogEvaluator(settings).evaluate(userEmb, itemEmb,
          data.validation(), data.train().select(Interactions.USER_INDEX, Interactions.ITEM_INDEX),
          itemCounts(data.logQ()));
      Map<String, Double> out = new java.util.TreeMap<>();
      eval.metrics().forEach((k, v) -> {
        if (k.matches("(recall|ndcg)@[0-9]+")) {
          out.put(k, v);
        }
      });
      return out;
    } finally {
      userEmb.unpersist();
      itemEmb.unpersist();
      try {
        new org.apache.hadoop.fs.Path(path).getFileSystem(hadoopConf).delete(new org.apache.hadoop.fs.Path(path), false);
      } catch (IOException e) {
        LOG.warn("Could not remove {}: {}", path, e.getMessage());
      }
      sc.setJobGroup("logq-train", "Training (" + loss.configName() + ")", false);
    }
  }

  /**
   * Full-catalog evaluation of embeddings ({@code user_idx|item_idx, embedding}) on the prepared test
   * split with the configured eval.* settings; the same call for every loss and for baselines.
   */
  EvalResult evaluate(Prepared data, Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings) {
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

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
