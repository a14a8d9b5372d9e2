package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.ShardPlacement;
import dev.logq.common.error.ConfigException;
import dev.logq.common.data.Interactions;
import dev.logq.common.data.SyntheticModel;
import dev.logq.common.freq.LogQTable;
import dev.logq.common.loss.Loss;
import dev.logq.common.loss.Losses;
import dev.logq.common.model.tower.UserTower;
import dev.logq.common.model.tower.UserTowers;
import dev.logq.job.console.JobConsole;
import dev.logq.job.console.MemoryWatch;
import dev.logq.job.console.RunLog;
import dev.logq.job.eval.EvalResult;
import dev.logq.job.eval.PlantedDistance;
import dev.logq.job.ingest.IdIndex;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.output.AtomicOutput;
import dev.logq.job.output.CompletedOutput;
import dev.logq.job.output.EmbeddingWriter;
import dev.logq.job.output.JsonOutput;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.output.Provenance;
import dev.logq.job.output.RunSettings;
import dev.logq.job.report.TrainingCurveWriter;
import dev.logq.job.train.DistributedTrainer;
import dev.logq.job.train.Embedder;
import dev.logq.job.train.MemoryEstimate;
import dev.logq.job.train.ModelFiles;
import dev.logq.job.train.ShardBuilder;
import dev.logq.job.train.SyncBackendChoice;
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
 *   read + validate ─▶ split ─▶ index ids ─▶ count items (log Q)        {@link #prepare}: {@link InputStep},
 *                                                                        {@link SplitStep}, {@link IndexStep}
 *     ─▶ shard ─▶ synchronous data-parallel rounds ─▶ embed ─▶ evaluate {@link #trainAndEvaluate}, per loss
 *                                                                        ({@link EvaluateStep})
 *     ─▶ write (one atomic output)                                      {@link #run}
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
  private final EvaluateStep evaluation;
  private final long started = System.nanoTime();
  /** The last trained plan's {@link MemoryEstimate} and the workers per executor it assumed. */
  private MemoryEstimate modelMemory;
  private int tasksPerExecutor = 1;

  Pipeline(SparkSession spark, JobConfig config, boolean resume) {
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.userTower = UserTowers.fromConfig(config.model());
    this.resume = resume;
    this.hadoopConf = spark.sparkContext().hadoopConfiguration();
    this.report = new RunReport(config, metrics);
    this.checkpoints = new RunCheckpoints(config, hadoopConf);
    this.evaluation = new EvaluateStep(spark, config);
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

  /**
   * The collective backend runs barrier-mode jobs, which Spark refuses under dynamic allocation (SPARK-24942)
   * when the first segment starts: say so before reading the input, not after it.
   */
  private void checkBarrierMode() {
    barrierModeProblem(sc.master(), sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false),
        config.train().syncBackend(), config.train().workers()).ifPresent(message -> {
          throw new ConfigException("train.syncBackend", message);
        });
  }

  static java.util.Optional<String> barrierModeProblem(String master, boolean dynamicAllocation, String backend,
                                                        int workers) {
    if (!DistributedTrainer.COLLECTIVE.equals(backend)
        || !SyncBackendChoice.barrierJobsRefused(master, dynamicAllocation)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of("train.syncBackend=collective runs Spark barrier-mode jobs, which Spark does not"
        + " run with dynamic allocation (spark.dynamicAllocation.enabled=true on " + master + "): submit with"
        + " --spark-conf spark.dynamicAllocation.enabled=false and a fixed number of executors giving at least"
        + " train.workers=" + workers + " task slots, or use train.syncBackend=rounds (or auto, which chooses it"
        + " here)");
  }

  void run() throws IOException {
    String outputPath = OutputSettings.of(config).path();
    if (OutputSettings.of(config).skipIfComplete() && !OutputSettings.of(config).overwrite()
        && CompletedOutput.sameRunComplete(hadoopConf, outputPath, config)) {
      // A retry of a run that committed (e.g. the scheduler lost its exit status): nothing to do.
      LOG.info("{} already holds a complete run with this configuration (output.skipIfComplete = true); nothing to do",
          outputPath);
      JobConsole.line("nothing to do: " + outputPath + " already holds a complete run of this configuration");
      checkpoints.delete();
      return;
    }
    // Fail before any work when the output exists (exit 4), not after an hour of training.
    AtomicOutput.checkWritable(hadoopConf, outputPath, OutputSettings.of(config).overwrite());
    checkBarrierMode();
    MemoryWatch.start();
    metrics.run(RunSettings.of(config).id(), RunSettings.of(config).ds(), config.mode().configName(), outputPath)
        .versions(Provenance.versions(spark))
        .config(config.toMap());

    Prepared data = prepare();
    List<String> losses = config.mode() == JobConfig.Mode.COMPARE ? compareLosses(data) : List.of(config.loss().type());
    try (AtomicOutput out = AtomicOutput.begin(hadoopConf, outputPath, OutputSettings.of(config).overwrite(), RunSettings.of(config).id())) {
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
        for (String loss : losses) {
          String prefix = losses.size() == 1 ? "" : "runs/" + loss + "/";
          runs.add(trainAndEvaluate(data, loss, out, prefix));
        }
      } catch (IOException | RuntimeException e) {
        checkpoints.removeIfNoRounds();
        throw e;
      }
      metrics.put("memory", memorySummary());
      report.write(out, data.users().size(), data.items().size(), runs, seconds(started));
      RunLog.beforeCommit(out);
      out.commit();
      checkpoints.delete();
      LOG.info("Output committed to {} in {} s", out.finalPath(), seconds(started));
      JobConsole.finish(out.finalPath().toString(), seconds(started));
    }
  }

  /** The in-batch losses, then those scoring the whole catalog when it is small enough (registration order). */
  private List<String> compareLosses(Prepared data) {
    List<String> losses = new ArrayList<>();
    for (String name : Losses.names()) {
      Loss loss = Losses.create(name, config);
      if (loss.inBatchNegatives()) {
        losses.add(name);
      } else if (loss.scoresFullCatalog()) {
        if (data.items().size() <= FULL_SOFTMAX_MAX_ITEMS) {
          losses.add(name);
        } else {
          LOG.info("compare: skipping the full softmax, the catalog has {} items (> {})", data.items().size(),
              FULL_SOFTMAX_MAX_ITEMS);
        }
      }
    }
    return losses;
  }

  /** Reads, splits, indexes and counts; every run of the same configuration gives the same result. */
  Prepared prepare() {
    long t0 = System.nanoTime();
    sc.setJobGroup("logq-ingest", "Reading and validating input", false);
    InputStep.Read input = InputStep.read(spark, config, metrics);
    JobConsole.stage("read", JobConsole.readDetail(input.counts(), InputSettings.of(config).isSynthetic()));
    SplitStep.Parts parts = SplitStep.split(sc, config, input, userTower.embedsUnseenUsers(), metrics);
    Prepared data = IndexStep.indexAndCount(sc, config, parts, userTower.embedsUnseenUsers(), input.planted(), metrics);
    metrics.timing("prepare", seconds(t0));
    return data;
  }

  /** Shard, train, save the model, embed, evaluate: one loss. */
  private RunReport.Trained trainAndEvaluate(Prepared data, String loss, AtomicOutput out, String prefix)
      throws IOException {
    long t0 = System.nanoTime();
    TrainingPlan plan = TrainingSetup.plan(config, userTower, loss, data.users().size(), data.items().size());
    LOG.info("Training loss={} ({} workers, batch {} per worker, {} epochs, syncEvery {}; driver {})",
        loss, plan.workers(), plan.batchSize(), plan.epochs(), plan.syncEvery(),
        dev.logq.common.linalg.Exp.describe());
    // Resolved here, once the input's jobs have run (so a cluster's executors have registered their slots).
    SyncBackendChoice.Choice backend = SyncBackendChoice.resolve(sc.sc(), config.train().syncBackend(),
        plan.workers());
    LOG.info("Synchronisation backend: {} ({})", backend.backend(), backend.reason());
    checkModelMemory(plan, backend.backend());
    LOG.info("Training data placement: {}", ShardBuilder.describe(config.train().placement(), userTower));
    ShardPlacement placement = ShardBuilder.resolve(config.train().placement(), userTower);
    JavaRDD<TrainingShard> shards = ShardBuilder.build(data.train(), plan.workers(), userTower, plan.seed(), placement,
        plan.model().numUsers());
    DistributedTrainer.Result result;
    try {
      DistributedTrainer trainer = new DistributedTrainer(sc, plan, checkpoints.dirFor(prefix), hadoopConf)
          .withBackend(backend.backend())
          .withMaxPendingPatchBytes(config.train().maxPendingPatchMegabytes() * 1048576L);
      if (data.validation() != null) {
        String dir = checkpoints.dirFor(prefix);
        trainer.withValidation((epoch, params) -> evaluation.validate(data, plan, params, dir, loss, epoch),
            config.train().earlyStoppingMetric(), config.train().earlyStoppingPatience());
      }
      result = trainer.train(shards, data.logQ().toArray(), resume);
    } finally {
      shards.unpersist(false);
    }
    double trainSeconds = seconds(t0);
    JobConsole.stage("train", JobConsole.trainDetail(loss, result.state().curve().size(),
        result.state().globalRound(), plan.workers(), backend.backend()), trainSeconds);

    String modelUri = out.stagingUri(prefix + "model/params.bin");
    ModelFiles.write(result.params(), modelUri, hadoopConf);
    JsonOutput.write(out, prefix + "model/spec.json", TrainingSetup.specJson(plan.model(), config.model(), loss));
    TrainingCurveWriter.write(out, prefix + "curve", RunReport.curve(result.state()));

    sc.setJobGroup("logq-embed", "Embedding users and items (" + loss + ")", false);
    Embedder embedder = new Embedder(spark, plan.model(), modelUri);
    int partitions = Math.max(2, sc.defaultParallelism());
    Dataset<Row> userEmb = embedder.users(data.seen(), partitions).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> itemEmb = embedder.items(partitions).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      if (OutputSettings.of(config).writeEmbeddings()) {
        EmbeddingWriter.write(userEmb, Interactions.USER_INDEX, data.users().mapping(),
            out.stagingUri(prefix + "embeddings/users"));
        EmbeddingWriter.write(itemEmb, Interactions.ITEM_INDEX, data.items().mapping(),
            out.stagingUri(prefix + "embeddings/items"));
        JobConsole.stage("embed", String.format(java.util.Locale.ROOT, "%s: %,d user and %,d item embeddings written",
            loss, data.users().size(), data.items().size()));
      }
      sc.setJobGroup("logq-eval", "Full-catalog evaluation (" + loss + ")", false);
      // output.recommendK: the test users' top K come out of the evaluation's blocked pass.
      EvalResult eval = evaluation.evaluateAndRecommend(data, userEmb, itemEmb,
          out.stagingUri(prefix + "recommendations"));
      Map<String, Double> planted = data.planted() == null ? Map.of() : PlantedDistance.fromPlanted(data.planted(),
          data.users().toArray(), data.items().toArray(), userEmb, itemEmb, 1.0 / plan.model().temperature());
      report.logMetrics(loss, eval, planted);
      JobConsole.stage("evaluate", String.format(java.util.Locale.ROOT, "%s: %,d test users, full catalog of %,d items",
          loss, eval.counts().getOrDefault("evaluated_users", 0L), data.items().size()));
      return new RunReport.Trained(loss, eval, planted, result.state(), result.sync(), trainSeconds,
          result.stopping() == null ? null : result.stopping().summary(plan.epochs()),
          placement.configName());
    } finally {
      userEmb.unpersist();
      itemEmb.unpersist();
    }
  }

  /**
   * Logs what the model will hold in memory once every row has trained ({@link MemoryEstimate}) and warns, before
   * any work, when that does not fit the driver's heap or spark.executor.memory: an out-of-memory error an hour
   * into training is the alternative.
   */
  private void checkModelMemory(TrainingPlan plan, String backend) {
    modelMemory = MemoryEstimate.of(plan, backend);
    tasksPerExecutor = sc.isLocal() ? plan.workers() : Math.max(1, Math.min(plan.workers(),
        sc.getConf().getInt("spark.executor.cores", 1) / Math.max(1, sc.getConf().getInt("spark.task.cpus", 1))));
    LOG.info("Model memory once every row has trained (train.syncBackend = {}, syncEvery {}): {}; parameters {},"
        + " optimizer state {}", backend, plan.syncEvery(), modelMemory.describe(tasksPerExecutor),
        MemoryEstimate.bytes(modelMemory.paramBytes()), MemoryEstimate.bytes(modelMemory.stateBytes()));
    long heap = Runtime.getRuntime().maxMemory();
    long driverNeeds = sc.isLocal() ? modelMemory.localModeBytes(tasksPerExecutor) : modelMemory.driverBytes();
    double heapShare = (double) driverNeeds / heap;
    if (sc.isLocal() && heapShare > 0.4 && sc.getConf().getDouble("spark.memory.fraction", 0.6) + heapShare > 0.85) {
      // Spark sizes its cache and shuffle pool (spark.memory.fraction of the heap) as if it had the heap to itself;
      // next to a model this large it caches until the heap is full instead of spilling to disk.
      LOG.warn("The model needs about {} of this JVM's heap of {}, and Spark may use spark.memory.fraction = {} of"
              + " it for cached data and shuffles: set -Dspark.memory.fraction={} (or lower) so that Spark spills to"
              + " disk instead (README, \"Memory\")", MemoryEstimate.bytes(driverNeeds), MemoryEstimate.bytes(heap),
          sc.getConf().get("spark.memory.fraction", "0.6"),
          String.format(java.util.Locale.ROOT, "%.2f", Math.max(0.05, 0.8 - heapShare)));
    }
    if (heapShare > 0.8) {
      LOG.warn("The model needs about {} in the driver JVM{} once every row has trained, {} of its heap of {}:"
              + " expect an out-of-memory failure; give the driver more memory (--driver-memory, or -Xmx in local mode),"
              + " lower model.embeddingDim, or use train.syncBackend=collective, whose driver holds no model while it"
              + " trains (README, \"Memory\")", MemoryEstimate.bytes(driverNeeds),
          sc.isLocal() ? " (local mode: driver and executor)" : "",
          String.format(java.util.Locale.ROOT, "%.0f %%", 100.0 * heapShare), MemoryEstimate.bytes(heap));
    }
    if (!sc.isLocal() && sc.getConf().contains("spark.executor.memory")) {
      long executorHeap = sc.getConf().getSizeAsBytes("spark.executor.memory");
      long executorNeeds = modelMemory.executorBytes(tasksPerExecutor);
      if (executorNeeds > 0.8 * executorHeap) {
        LOG.warn("The model needs about {} in each executor running {} workers once every row has trained, more than"
            + " 80 % of spark.executor.memory = {}: expect executors to fail; raise spark.executor.memory or lower"
            + " spark.executor.cores (README, \"Memory\")", MemoryEstimate.bytes(executorNeeds), tasksPerExecutor,
            MemoryEstimate.bytes(executorHeap));
      }
    }
  }

  private Map<String, Object> memorySummary() {
    Map<String, Object> m = MemoryWatch.summary();
    if (modelMemory != null) {
      m.put("model_estimate", modelMemory.toMap(tasksPerExecutor));
    }
    return m;
  }

  /**
   * Full-catalog evaluation of embeddings ({@code user_idx|item_idx, embedding}) on the prepared test
   * split with the configured eval.* settings; the same call for every loss and for baselines.
   */
  EvalResult evaluate(Prepared data, Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings) {
    return evaluation.evaluate(data, userEmbeddings, itemEmbeddings);
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
