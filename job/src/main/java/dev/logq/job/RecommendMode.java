package dev.logq.job;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.common.error.ConfigException;
import dev.logq.common.error.DataException;
import dev.logq.common.eval.TopK;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.model.tower.UserTower;
import dev.logq.common.model.tower.UserTowers;
import dev.logq.job.eval.EvalSettings;
import dev.logq.job.eval.FullCatalogEvaluator;
import dev.logq.job.ingest.IdIndex;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.output.AtomicOutput;
import dev.logq.job.output.CompletedOutput;
import dev.logq.job.output.JsonOutput;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.output.RecommendationWriter;
import dev.logq.job.output.RunSettings;
import dev.logq.job.train.Embedder;
import dev.logq.job.train.ModelFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mode = recommend: loads the model of an earlier train run (recommend.modelPath) and writes the top
 * output.recommendK items, with scores, for every user of input.path, each user's input items removed, as
 * {@code recommendations/} (Parquet, original ids) in one atomic output at output.path.
 *
 * <p>Towers that read the user's items (history, sequence) embed the input's users from their input
 * interactions alone (users unseen in training are fine); the id tower needs users the model knows. Every
 * check runs before anything is written: a missing or incomplete model directory, a model of another
 * configuration than this run's model.* (exit 2), parameters that do not fit the recorded configuration, items
 * or (id tower) users the model does not know (exit 3).
 */
final class RecommendMode {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
  static final String PARAMS = "model/params.bin";
  static final String USERS = "index/users";
  static final String ITEMS = "index/items";

  private RecommendMode() {}

  static void run(SparkSession spark, JobConfig config) throws IOException {
    Configuration hc = spark.sparkContext().hadoopConfiguration();
    String outputPath = OutputSettings.of(config).path();
    AtomicOutput.checkWritable(hc, outputPath, OutputSettings.of(config).overwrite());
    String modelPath = RecommendSettings.of(config).modelPath();
    Path root = new Path(modelPath);
    FileSystem fs = root.getFileSystem(hc);
    if (!fs.exists(root)) {
      throw new DataException(modelPath, "no such model directory (recommend.modelPath); give the output"
          + " directory of a train run");
    }
    if (!fs.exists(new Path(root, AtomicOutput.SUCCESS_MARKER))) {
      throw new DataException(modelPath, "not a complete run output (no " + AtomicOutput.SUCCESS_MARKER
          + "); give the output directory of a finished train run");
    }
    for (String f : List.of(CompletedOutput.RECORDED_CONFIG, PARAMS, USERS, ITEMS)) {
      if (!fs.exists(new Path(root, f))) {
        throw new DataException(new Path(root, f).toString(), "missing from the model directory"
            + (f.equals(PARAMS) && fs.exists(new Path(root, "runs")) ? " (a compare run: give its runs/<loss>"
            + " directory is not supported; train the chosen loss with mode = train)" : ""));
      }
    }
    Path recordedFile = new Path(root, CompletedOutput.RECORDED_CONFIG);
    JobConfig recorded;
    try {
      recorded = CompletedOutput.readRecorded(hc, recordedFile);
    } catch (IOException | RuntimeException e) {
      throw new DataException(recordedFile.toString(), "cannot read the recorded configuration: " + e.getMessage(), e);
    }
    List<String> differences = modelDifferences(recorded, config);
    if (!differences.isEmpty()) {
      throw new ConfigException(differences.get(0).substring(0, differences.get(0).indexOf(':')),
          "the model at " + modelPath + " was trained with another model configuration ("
          + String.join("; ", differences) + ", recorded in " + recordedFile + "); set model.* as it was trained");
    }

    UserTower tower = UserTowers.fromConfig(recorded.model());
    IdIndex users = IdIndex.load(spark, new Path(root, USERS).toString());
    IdIndex items = IdIndex.load(spark, new Path(root, ITEMS).toString());
    ModelSpec spec = TrainingSetup.plan(recorded, tower, recorded.loss().type(), users.size(), items.size()).model();
    String paramsFile = new Path(root, PARAMS).toString();
    TensorStore params;
    try {
      params = ModelFiles.read(paramsFile, hc);
      new TwoTowerModel(spec).checkParameters(params);
    } catch (RuntimeException e) {
      throw new DataException(paramsFile, "the parameters do not fit the model recorded beside them ("
          + users.size() + " users, " + items.size() + " items, " + recorded.model().userTower()
          + " tower): " + e.getMessage(), e);
    }

    MetricsDocument metrics = new MetricsDocument();
    Dataset<Row> input = InputStep.read(spark, config, metrics).interactions();
    String inputPath = InputSettings.of(config).path();
    Dataset<Row> unknownItems = input.join(items.mapping().select(col(IdIndex.ORIGINAL_ID).as(Interactions.ITEM)),
        new String[] {Interactions.ITEM}, "left_anti");
    long unknownItemRows = unknownItems.count();
    if (unknownItemRows > 0) {
      List<String> examples = unknownItems.select(Interactions.ITEM).distinct().orderBy(Interactions.ITEM).limit(3)
          .collectAsList().stream().map(r -> "'" + r.get(0) + "'").toList();
      throw new DataException(inputPath, unknownItemRows + " interactions name items the model does not know (e.g. "
          + String.join(", ", examples) + "); the model at " + modelPath + " knows the " + items.size()
          + " items of " + new Path(root, ITEMS) + ". Remove them from the input");
    }
    IdIndex inputUsers;
    if (tower.embedsUnseenUsers()) {
      inputUsers = IdIndex.build(input, Interactions.USER);
    } else {
      Dataset<Row> unknownUsers = input.select(Interactions.USER).distinct()
          .join(users.mapping().select(col(IdIndex.ORIGINAL_ID).as(Interactions.USER)),
              new String[] {Interactions.USER}, "left_anti");
      long n = unknownUsers.count();
      if (n > 0) {
        List<String> examples = unknownUsers.orderBy(Interactions.USER).limit(3).collectAsList().stream()
            .map(r -> "'" + r.get(0) + "'").toList();
        throw new DataException(inputPath, n + " users are unknown to the model (e.g. " + String.join(", ", examples)
            + "): the " + recorded.model().userTower() + " user tower embeds only the users it trained"
            + " on (" + new Path(root, USERS) + "); a history tower model embeds new users from their interactions");
      }
      inputUsers = users;
    }
    Dataset<Row> indexed = Indexing.index(input, inputUsers, items).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> ids = indexed.select(Interactions.USER_INDEX).distinct();
    long userCount = ids.count();

    int k = OutputSettings.of(config).recommendK();
    try (AtomicOutput out = AtomicOutput.begin(hc, outputPath, OutputSettings.of(config).overwrite(), RunSettings.of(config).id())) {
      Embedder embedder = new Embedder(spark, spec, paramsFile);
      int partitions = Math.max(2, spark.sparkContext().defaultParallelism());
      Dataset<Row> userEmb = embedder.users(indexed, ids).persist(StorageLevel.MEMORY_AND_DISK());
      Dataset<Row> itemEmb = embedder.items(partitions).persist(StorageLevel.MEMORY_AND_DISK());
      JavaPairRDD<Integer, TopK> top = new FullCatalogEvaluator(EvalSettings.of(config.eval())).recommendScored(
          userEmb, itemEmb, indexed.select(Interactions.USER_INDEX, Interactions.ITEM_INDEX), k);
      long rows;
      try {
        rows = RecommendationWriter.write(spark, top, inputUsers.mapping(), items.mapping(),
            out.stagingUri("recommendations"));
      } finally {
        top.unpersist(false);
        userEmb.unpersist();
        itemEmb.unpersist();
      }
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("model", modelPath);
      summary.put("input", inputPath);
      summary.put("userTower", recorded.model().userTower());
      summary.put("users", userCount);
      summary.put("k", k);
      summary.put("rows", rows);
      JsonOutput.write(out, "recommend.json", summary);
      out.commit();
      LOG.info("Wrote the top {} items of {} users to {}", k, userCount, out.finalPath());
    } finally {
      indexed.unpersist();
    }
  }

  /** The model.* keys whose values differ between the recorded (trained) configuration and this run's. */
  static List<String> modelDifferences(JobConfig recorded, JobConfig current) {
    Map<String, Object> a = recorded.toMap();
    Map<String, Object> b = current.toMap();
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Object> e : a.entrySet()) {
      if (e.getKey().startsWith("model.") && !Objects.equals(String.valueOf(e.getValue()),
          String.valueOf(b.get(e.getKey())))) {
        out.add(e.getKey() + ": trained with " + e.getValue() + ", this run has " + b.get(e.getKey()));
      }
    }
    return out;
  }
}
