package dev.logq.job;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.JobConfig.LossType;
import dev.logq.common.data.Interactions;
import dev.logq.common.data.SyntheticModel;
import dev.logq.common.error.DataException;
import dev.logq.common.freq.LogQTable;
import dev.logq.common.model.ModelSpec;
import dev.logq.job.console.JobConsole;
import dev.logq.job.console.RunLog;
import dev.logq.job.eval.EvalResult;
import dev.logq.job.eval.EvalSettings;
import dev.logq.job.eval.FullCatalogEvaluator;
import dev.logq.job.eval.PlantedDistance;
import dev.logq.job.freq.FrequencyTableBuilder;
import dev.logq.job.ingest.IdIndex;
import dev.logq.job.ingest.IngestResult;
import dev.logq.job.ingest.InteractionReader;
import dev.logq.job.ingest.SyntheticData;
import dev.logq.job.output.AtomicOutput;
import dev.logq.job.output.CompletedOutput;
import dev.logq.job.output.EmbeddingWriter;
import dev.logq.job.output.JsonOutput;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.output.Provenance;
import dev.logq.job.output.TrainingCurveWriter;
import dev.logq.job.report.ComparisonTable;
import dev.logq.job.report.CurvePoint;
import dev.logq.job.report.ReportWriter;
import dev.logq.job.report.RunSummary;
import dev.logq.job.split.SplitResult;
import dev.logq.job.split.Splitter;
import dev.logq.job.train.DistributedTrainer;
import dev.logq.job.train.Embedder;
import dev.logq.job.train.ModelFiles;
import dev.logq.job.train.ShardBuilder;
import dev.logq.job.train.TrainerState;
import dev.logq.job.train.TrainingPlan;
import dev.logq.job.train.TrainingShard;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The train and compare modes, top to bottom: read and validate, split, index, count log Q, then for
 * each loss train, embed and evaluate, and finally write everything through one atomic output.
 */
final class Pipeline {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
  /** compare mode adds the exact full softmax only for catalogs this small (it is O(catalog) per step). */
  static final int FULL_SOFTMAX_MAX_ITEMS = 20_000;
  static final String USER_IDX = FullCatalogEvaluator.USER_IDX;
  static final String ITEM_IDX = FullCatalogEvaluator.ITEM_IDX;
  /** The configuration the checkpoints were written with, in the checkpoint directory. */
  static final String CHECKPOINT_CONFIG = "_config.conf";

  private final SparkSession spark;
  private final JavaSparkContext sc;
  private final JobConfig config;
  private final boolean resume;
  private final Configuration hadoopConf;
  private final MetricsDocument metrics = new MetricsDocument();
  private final long started = System.nanoTime();

  Pipeline(SparkSession spark, JobConfig config, boolean resume) {
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.resume = resume;
    this.hadoopConf = spark.sparkContext().hadoopConfiguration();
  }

  /**
   * The indexed data every loss trains and is evaluated on: train and test hold user_idx, item_idx,
   * ts and weight. Package-visible so a baseline trained outside the pipeline (bench) sees the same split.
   */
  record Prepared(Dataset<Row> train, Dataset<Row> test, IdIndex users, IdIndex items, LogQTable logQ,
                  SyntheticModel planted) {}

  /** One trained and evaluated model. */
  private record Trained(String loss, EvalResult eval, Map<String, Double> planted, TrainerState state,
                         DistributedTrainer.SyncStats sync, double trainSeconds) {}

  void run() throws IOException {
    String outputPath = config.output().path();
    if (config.output().skipIfComplete() && !config.output().overwrite()
        && CompletedOutput.sameRunComplete(hadoopConf, outputPath, config)) {
      // A retry of a run that committed (e.g. the scheduler lost its exit status): nothing to do.
      LOG.info("{} already holds a complete run with this configuration (output.skipIfComplete = true); nothing to do",
          outputPath);
      JobConsole.line("nothing to do: " + outputPath + " already holds a complete run of this configuration");
      deleteCheckpoints(outputPath);
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

      prepareCheckpoints();
      List<Trained> runs = new ArrayList<>();
      try {
        for (LossType loss : losses) {
          String prefix = losses.size() == 1 ? "" : "runs/" + loss.configName() + "/";
          runs.add(trainAndEvaluate(data, loss, out, prefix));
        }
      } catch (IOException | RuntimeException e) {
        removeCheckpointsWithoutRounds();
        throw e;
      }
      writeSummary(out, data, runs);
      RunLog.beforeCommit(out);
      out.commit();
      deleteCheckpoints(outputPath);
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
    Dataset<Row> interactions;
    SyntheticModel planted = null;
    Dataset<Row> givenTest = null;
    Map<String, Long> inputCounts = new LinkedHashMap<>();
    if (config.input().isSynthetic()) {
      planted = SyntheticModel.of(config.synthetic());
      interactions = SyntheticData.generate(spark, config.synthetic()).persist(StorageLevel.MEMORY_AND_DISK());
      inputCounts.put("rows", interactions.count());
      inputCounts.put("bad_records", 0L);
      LOG.info("Generated {} synthetic interactions ({} users, {} items, Zipf exponent {})", inputCounts.get("rows"),
          config.synthetic().users(), config.synthetic().items(), config.synthetic().zipfExponent());
    } else {
      IngestResult read = InteractionReader.read(spark, config.input());
      interactions = read.interactions();
      inputCounts.put("rows", read.rows());
      inputCounts.put("bad_records", read.badRecords());
      if (read.badRecords() > 0) {
        LOG.warn("Skipped {} bad records (input.badRecords=skip); examples: {}", read.badRecords(),
            read.badRecordSamples());
        metrics.put("bad_record_samples", read.badRecordSamples());
      }
      if (config.split().method() == JobConfig.SplitMethod.GIVEN) {
        IngestResult test = InteractionReader.read(spark, config.input(), config.input().testPath());
        givenTest = test.interactions();
        inputCounts.put("test_rows", test.rows());
        inputCounts.put("test_bad_records", test.badRecords());
      }
    }
    metrics.counts("input", inputCounts);
    JobConsole.stage("read", JobConsole.readDetail(inputCounts, config.input().isSynthetic()));

    sc.setJobGroup("logq-split", "Filtering and splitting (" + config.split().method().configName() + ")", false);
    SplitResult split = Splitter.prepare(interactions, givenTest, config);
    metrics.put("split", split.stats());
    LOG.info("Split {}: {} training and {} test interactions", config.split().method().configName(),
        split.trainRows(), split.testRows());
    JobConsole.stage("split", String.format(java.util.Locale.ROOT, "%s: %,d training, %,d test interactions",
        config.split().method().configName(), split.trainRows(), split.testRows()));
    if (split.testRows() == 0) {
      throw new DataException(config.input().path(), "no test interactions remain after the split and the cold-start"
          + " rules (split " + split.stats() + "); there is nothing to evaluate");
    }

    sc.setJobGroup("logq-index", "Indexing user and item ids", false);
    boolean historyTower = config.model().userTower() == JobConfig.UserTower.HISTORY;
    // The history tower can embed users it never trained on (from their history), so index them too.
    IdIndex users = IdIndex.build(historyTower ? split.train().select(Interactions.USER)
        .union(split.test().select(Interactions.USER)) : split.train(), Interactions.USER);
    IdIndex items = IdIndex.build(split.train(), Interactions.ITEM);
    requireEnoughToRank(users, items);
    Dataset<Row> train = index(split.train(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> test = index(split.test(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
    long testPairs = test.count();
    LOG.info("Indexed {} users and {} items; {} test interactions map to the training catalog", users.size(),
        items.size(), testPairs);

    sc.setJobGroup("logq-freq", "Counting item frequencies (log Q)", false);
    LogQTable logQ = FrequencyTableBuilder.build(train, ITEM_IDX, items.size(),
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
    return new Prepared(train, test, users, items, logQ, planted);
  }

  /**
   * One user or one item leaves nothing to learn or rank: in-batch negatives are the other rows' items,
   * which for a single user are all that user's own positives, and a one-item catalog ranks trivially.
   */
  private void requireEnoughToRank(IdIndex users, IdIndex items) {
    String where = config.input().isSynthetic() ? null : config.input().path();
    if (items.size() < 2) {
      throw new DataException(where, "the training data has " + describeIds(items, "item") + "; ranking needs at least"
          + " 2 distinct items (after split.minItemCount and the split)");
    }
    if (users.size() < 2) {
      throw new DataException(where, "the training data has " + describeIds(users, "user") + "; training needs at least"
          + " 2 distinct users (with one user every in-batch negative is one of that user's own positives)");
    }
  }

  private static String describeIds(IdIndex index, String what) {
    if (index.size() == 0) {
      return "no " + what;
    }
    return "only 1 " + what + " ('" + index.toArray()[0] + "')";
  }

  /** Adds user_idx and item_idx (ints) and the time column ts; rows whose ids are unknown are dropped. */
  private static Dataset<Row> index(Dataset<Row> rows, IdIndex users, IdIndex items) {
    Dataset<Row> withUser = users.apply(rows, Interactions.USER, USER_IDX);
    Dataset<Row> both = items.apply(withUser, Interactions.ITEM, ITEM_IDX);
    return both.select(col(USER_IDX), col(ITEM_IDX), col(Interactions.TIMESTAMP).cast("long").as(ShardBuilder.TIME),
        col(Interactions.WEIGHT));
  }

  private Trained trainAndEvaluate(Prepared data, LossType loss, AtomicOutput out, String prefix) throws IOException {
    long t0 = System.nanoTime();
    TrainingPlan plan = plan(loss, data);
    LOG.info("Training loss={} ({} workers, batch {} per worker, {} epochs, syncEvery {}; driver {})",
        loss.configName(), plan.workers(), plan.batchSize(), plan.epochs(), plan.syncEvery(),
        dev.logq.common.linalg.Exp.describe());
    JavaRDD<TrainingShard> shards = ShardBuilder.build(data.train(), plan.workers(),
        plan.model().userTower() == ModelSpec.UserTower.HISTORY ? plan.model().historyLength() : 0, plan.seed());
    DistributedTrainer.Result result;
    try {
      result = new DistributedTrainer(sc, plan, checkpointDir(prefix), hadoopConf)
          .withBackend(DistributedTrainer.SyncBackend.parse(config.train().syncBackend().configName()))
          .withMaxPendingPatchBytes(config.train().maxPendingPatchMegabytes() * 1048576L)
          .train(shards, data.logQ().toArray(), resume);
    } finally {
      shards.unpersist(false);
    }
    double trainSeconds = seconds(t0);
    JobConsole.stage("train", JobConsole.trainDetail(loss.configName(), result.state().curve().size(),
        result.state().globalRound(), plan.workers()), trainSeconds);

    String modelUri = out.stagingUri(prefix + "model/params.bin");
    ModelFiles.write(result.params(), modelUri, hadoopConf);
    JsonOutput.write(out, prefix + "model/spec.json", specMap(plan.model(), loss));
    List<CurvePoint> curve = curve(result.state());
    TrainingCurveWriter.write(out, prefix + "curve", curve);

    sc.setJobGroup("logq-embed", "Embedding users and items (" + loss.configName() + ")", false);
    Embedder embedder = new Embedder(spark, plan.model(), modelUri);
    int partitions = Math.max(2, sc.defaultParallelism());
    Dataset<Row> userEmb = embedder.users(data.train(), partitions).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> itemEmb = embedder.items(partitions).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      if (config.output().writeEmbeddings()) {
        EmbeddingWriter.write(userEmb, USER_IDX, data.users().mapping(), out.stagingUri(prefix + "embeddings/users"));
        EmbeddingWriter.write(itemEmb, ITEM_IDX, data.items().mapping(), out.stagingUri(prefix + "embeddings/items"));
      }
      sc.setJobGroup("logq-eval", "Full-catalog evaluation (" + loss.configName() + ")", false);
      EvalResult eval = evaluate(data, userEmb, itemEmb);
      Map<String, Double> planted = data.planted() == null ? Map.of() : plantedDistance(data, userEmb, itemEmb, plan);
      logMetrics(loss, eval, planted);
      JobConsole.stage("evaluate", String.format(java.util.Locale.ROOT, "%s: %,d test users, full catalog of %,d items",
          loss.configName(), eval.counts().getOrDefault("evaluated_users", 0L), data.items().size()));
      return new Trained(loss.configName(), eval, planted, result.state(), result.sync(), trainSeconds);
    } finally {
      userEmb.unpersist();
      itemEmb.unpersist();
    }
  }

  /**
   * Full-catalog evaluation of embeddings ({@code user_idx|item_idx, embedding}) on the prepared test
   * split with the configured eval.* settings; the same call for every loss and for baselines.
   */
  EvalResult evaluate(Prepared data, Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings) {
    return new FullCatalogEvaluator(evalSettings()).evaluate(userEmbeddings, itemEmbeddings,
        data.test().select(USER_IDX, ITEM_IDX), data.train().select(USER_IDX, ITEM_IDX), itemCounts(data.logQ()));
  }

  private TrainingPlan plan(LossType loss, Prepared data) {
    JobConfig.Model m = config.model();
    JobConfig.Train t = config.train();
    ModelSpec spec = ModelSpec.builder()
        .numUsers(data.users().size())
        .numItems(data.items().size())
        .userTower(ModelSpec.UserTower.parse(m.userTower().configName()))
        .historyLength(m.historyLength())
        .historyPooling(ModelSpec.HistoryPooling.parse(m.historyPooling().configName()))
        .embeddingDim(m.embeddingDim())
        .userMlp(m.userMlp())
        .itemMlp(m.itemMlp())
        .outputDim(m.outputDim())
        .l2Normalize(m.l2Normalize())
        .temperature(m.temperature())
        .initStd(m.initStd())
        .seed(t.seed())
        .build();
    int negatives = loss == LossType.UNIFORM_BCE ? config.loss().bceNegatives() : config.loss().uniformNegatives();
    return new TrainingPlan(spec, loss.configName(), config.loss().standardCorrectPositive(), negatives,
        t.batchSize(), t.epochs(), t.workers(), t.syncEvery(), t.seed(), t.optimizer().configName(),
        t.learningRate(), t.adamBeta1(), t.adamBeta2(), t.epsilon(), t.checkpointEverySteps());
  }

  private EvalSettings evalSettings() {
    JobConfig.Eval e = config.eval();
    List<Integer> ks = new ArrayList<>();
    for (int k : e.k()) {
      ks.add(k);
    }
    return new EvalSettings(ks, e.filterSeen(), e.headShare(), e.torsoShare(), e.userBlockSize(), e.itemBlockSize());
  }

  private static long[] itemCounts(LogQTable logQ) {
    double[] c = logQ.counts();
    long[] out = new long[c.length];
    for (int i = 0; i < c.length; i++) {
      out[i] = Math.round(c[i]);
    }
    return out;
  }

  /**
   * Distance of the learned P(item|user) from the planted one, for a sample of users. The planted
   * distribution is over the generator's item ids; it is restricted to the items that reached the
   * training catalog (and renormalised), in the model's index order.
   */
  private Map<String, Double> plantedDistance(Prepared data, Dataset<Row> userEmb, Dataset<Row> itemEmb,
                                              TrainingPlan plan) {
    String[] userIds = data.users().toArray();
    String[] itemIds = data.items().toArray();
    int[] itemOriginal = new int[itemIds.length];
    for (int i = 0; i < itemIds.length; i++) {
      itemOriginal[i] = Integer.parseInt(itemIds[i]);
    }
    int sample = Math.min(200, userIds.length);
    int[] users = new int[sample];
    for (int i = 0; i < sample; i++) {
      users[i] = (int) ((long) i * userIds.length / sample);
    }
    SyntheticModel planted = data.planted();
    PlantedDistance.Result r = PlantedDistance.compute(userEmb, itemEmb, users, u -> {
      double[] full = planted.trueDistribution(Integer.parseInt(userIds[u]));
      double[] p = new double[itemOriginal.length];
      double sum = 0;
      for (int i = 0; i < p.length; i++) {
        p[i] = full[itemOriginal[i]];
        sum += p[i];
      }
      for (int i = 0; i < p.length; i++) {
        p[i] /= sum;
      }
      return p;
    }, 1.0 / plan.model().temperature());
    return r.toMetrics();
  }

  private void logMetrics(LossType loss, EvalResult eval, Map<String, Double> planted) {
    StringBuilder line = new StringBuilder("Evaluation, loss=" + loss.configName() + ":");
    for (int k : config.eval().k()) {
      line.append(String.format(" Recall@%d=%.4f nDCG@%d=%.4f", k, eval.metric("recall@" + k), k,
          eval.metric("ndcg@" + k)));
    }
    if (!planted.isEmpty()) {
      line.append(String.format(" planted KL=%.4f TV=%.4f", planted.get("planted_kl"),
          planted.get("planted_total_variation")));
    }
    LOG.info(line.toString());
  }

  private void writeSummary(AtomicOutput out, Prepared data, List<Trained> runs) throws IOException {
    List<RunSummary> summaries = new ArrayList<>();
    for (Trained t : runs) {
      Map<String, Double> all = new LinkedHashMap<>(t.eval().metrics());
      all.putAll(t.planted());
      metrics.metrics(t.loss(), all);
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("seconds", t.trainSeconds());
      training.put("rounds", t.state().globalRound());
      training.put("curve", t.state().curve());
      training.put("sync", t.sync());
      training.put("eval_counts", t.eval().counts());
      training.put("eval_seconds", t.eval().seconds());
      metrics.put("training_" + t.loss(), training);
      summaries.add(new RunSummary(t.loss(), all, curve(t.state()), t.trainSeconds()));
    }
    metrics.timing("total", seconds(started));
    metrics.finishedNow();
    metrics.write(out);
    List<Integer> tableKs = tableKs();
    ComparisonTable table = new ComparisonTable(tableKs);
    String rendered = table.render(summaries);
    LOG.info("Results:\n{}", rendered);
    JobConsole.results(rendered);
    if (config.output().report()) {
      Map<String, String> info = new LinkedHashMap<>();
      info.put("input", config.input().isSynthetic() ? "synthetic (" + config.synthetic().users() + " users, "
          + config.synthetic().items() + " items)" : config.input().path());
      info.put("split", config.split().method().configName());
      info.put("users / items", data.users().size() + " / " + data.items().size());
      info.put("workers x batch", config.train().workers() + " x " + config.train().batchSize());
      info.put("epochs", String.valueOf(config.train().epochs()));
      try {
        ReportWriter.write(out, "report", "logq-spark: " + config.mode().configName(), info, summaries,
            evalSettings().ks(), table, tableKs.get(0));
      } catch (RuntimeException | Error e) {
        // Charts need AWT fonts on the driver; a missing font must not cost the trained model.
        LOG.warn("Could not draw the report ({}); writing the table only", e.toString());
        out.writeString("report/comparison.txt", rendered);
      }
    } else {
      out.writeString("report/comparison.txt", rendered);
    }
  }

  /** The table's two cut-offs: 10 and 20 when evaluated, else the largest of eval.k (no empty columns). */
  private List<Integer> tableKs() {
    List<Integer> evaluated = evalSettings().ks();
    List<Integer> ks = new ArrayList<>();
    for (int k : ComparisonTable.DEFAULT_KS) {
      if (evaluated.contains(k)) {
        ks.add(k);
      }
    }
    List<Integer> sorted = new ArrayList<>(new java.util.TreeSet<>(evaluated));
    for (int i = sorted.size() - 1; i >= 0 && ks.size() < 2; i--) {
      if (!ks.contains(sorted.get(i))) {
        ks.add(sorted.get(i));
      }
    }
    java.util.Collections.sort(ks);
    return ks;
  }

  private static List<CurvePoint> curve(TrainerState state) {
    List<CurvePoint> points = new ArrayList<>();
    long step = 0;
    for (TrainerState.EpochStats e : state.curve()) {
      step += e.rounds();
      points.add(new CurvePoint(e.epoch(), step, e.meanLoss(), e.examplesPerSecond()));
    }
    return points;
  }

  private static Map<String, Object> specMap(ModelSpec spec, LossType loss) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "logq-model-v1");
    m.put("loss", loss.configName());
    m.put("numUsers", spec.numUsers());
    m.put("numItems", spec.numItems());
    m.put("userTower", spec.userTower().configName());
    m.put("historyLength", spec.historyLength());
    m.put("historyPooling", spec.historyPooling().configName());
    m.put("embeddingDim", spec.embeddingDim());
    m.put("userMlp", spec.userMlp());
    m.put("itemMlp", spec.itemMlp());
    m.put("outputDim", spec.outputDim());
    m.put("l2Normalize", spec.l2Normalize());
    m.put("temperature", spec.temperature());
    m.put("initStd", spec.initStd());
    m.put("seed", spec.seed());
    m.put("params", "params.bin (TensorStore binary, see dev.logq.common.model.TensorStore)");
    return m;
  }

  /** Checkpoints live beside the output (hidden), so a killed run can --resume; removed on success. */
  private String checkpointDir(String prefix) {
    Path root = checkpointRoot(config.output().path());
    return (prefix.isEmpty() ? root : new Path(root, prefix)).toString();
  }

  private static Path checkpointRoot(String outputPath) {
    Path out = new Path(outputPath);
    return new Path(out.getParent(), "_" + out.getName() + ".checkpoints");
  }

  /**
   * Checkpoints belong to one configuration, recorded beside them. Without --resume an earlier attempt's
   * checkpoints go (a fresh run must not leave them for a later --resume to mix with its own); with
   * --resume, checkpoints recorded under a different configuration are discarded with a warning and
   * training starts from the beginning: resuming them would continue a different model.
   */
  private void prepareCheckpoints() throws IOException {
    Path root = checkpointRoot(config.output().path());
    FileSystem fs = root.getFileSystem(hadoopConf);
    Path recorded = new Path(root, CHECKPOINT_CONFIG);
    if (fs.exists(root)) {
      String discard = null;
      if (!resume) {
        discard = "they are an earlier attempt's and this run was started without --resume";
      } else if (fs.exists(recorded)) {
        List<String> differences;
        try {
          differences = CompletedOutput.differences(CompletedOutput.readRecorded(hadoopConf, recorded), config);
        } catch (IOException | RuntimeException e) {
          differences = List.of("unreadable recorded configuration: " + e.getMessage());
        }
        if (!differences.isEmpty()) {
          discard = "--resume was given but they were written with another configuration ("
              + CompletedOutput.describe(differences) + "); training starts from the beginning";
        }
      }
      if (discard != null) {
        LOG.warn("Deleting the checkpoints in {}: {}", root, discard);
        fs.delete(root, true);
      }
    }
    fs.mkdirs(root);
    try (OutputStream s = fs.create(recorded, true)) {
      s.write(config.toHocon().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** After a failure: checkpoints are kept for --resume, but a directory holding none is only clutter. */
  private void removeCheckpointsWithoutRounds() {
    Path root = checkpointRoot(config.output().path());
    try {
      FileSystem fs = root.getFileSystem(hadoopConf);
      if (!fs.exists(root)) {
        return;
      }
      org.apache.hadoop.fs.RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> files = fs.listFiles(root, true);
      while (files.hasNext()) {
        if (files.next().getPath().getParent().getName().startsWith("round-")) {
          LOG.info("Keeping the checkpoints in {} for --resume", root);
          return;
        }
      }
      fs.delete(root, true);
    } catch (IOException e) {
      LOG.warn("Could not inspect the checkpoints in {}: {}", root, e.getMessage());
    }
  }

  private void deleteCheckpoints(String outputPath) {
    Path dir = checkpointRoot(outputPath);
    try {
      FileSystem fs = dir.getFileSystem(hadoopConf);
      fs.delete(dir, true);
    } catch (IOException e) {
      LOG.warn("Could not delete checkpoints {}: {}", dir, e.getMessage());
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
