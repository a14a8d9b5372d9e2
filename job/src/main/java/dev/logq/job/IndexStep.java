package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.common.data.SyntheticModel;
import dev.logq.common.freq.LogQTable;
import dev.logq.job.console.JobConsole;
import dev.logq.job.freq.FrequencyTableBuilder;
import dev.logq.job.ingest.IdIndex;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.split.SplitSettings;
import dev.logq.job.split.ValidationSplit;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "index ids" and "count items (log Q)" steps: dense user and item indices over the fit rows (and,
 * for towers that embed unseen users, over every user), the indexed train, test and validation rows, and
 * the item frequency table.
 */
final class IndexStep {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private IndexStep() {}

  static Pipeline.Prepared indexAndCount(JavaSparkContext sc, JobConfig config, SplitStep.Parts parts,
                                         boolean embedsUnseenUsers, SyntheticModel planted, MetricsDocument metrics) {
    Dataset<Row> fitRows = parts.fit();
    ValidationSplit.Result validationSplit = parts.validation();
    sc.setJobGroup("logq-index", "Indexing user and item ids", false);
    // A tower that reads the user's items embeds users it never trained on, so index them too.
    IdIndex users = IdIndex.build(embedsUnseenUsers ? parts.split().train().select(Interactions.USER)
        .union(parts.split().test().select(Interactions.USER)) : fitRows, Interactions.USER);
    IdIndex items = IdIndex.build(fitRows, Interactions.ITEM);
    Indexing.requireEnoughToRank(users, items, InputSettings.of(config).isSynthetic() ? null : InputSettings.of(config).path());
    Dataset<Row> train = Indexing.index(fitRows, users, items).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> test = sampleTestUsers(Indexing.index(parts.split().test(), users, items), SplitSettings.of(config))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> validation = null;
    Dataset<Row> validationUsers = null;
    Dataset<Row> seen = train;
    if (validationSplit != null) {
      validation = Indexing.index(validationSplit.validation(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
      validationUsers = ValidationSplit.sampleUsers(validation, SplitSettings.of(config).validationUsers(), SplitSettings.of(config).seed())
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
      seen = Indexing.index(parts.split().train(), users, items).persist(StorageLevel.MEMORY_AND_DISK());
    }
    long testPairs = test.count();
    LOG.info("Indexed {} users and {} items; {} test interactions map to the training catalog", users.size(),
        items.size(), testPairs);

    sc.setJobGroup("logq-freq", "Counting item frequencies (log Q)", false);
    LogQTable logQ = FrequencyTableBuilder.build(train, Interactions.ITEM_INDEX, items.size(),
        InputSettings.of(config).hasWeightColumn() && !InputSettings.of(config).isSynthetic() ? Interactions.WEIGHT : null);
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
    return new Pipeline.Prepared(train, test, users, items, logQ, planted, validation, validationUsers, seen);
  }

  /**
   * split.testUsers: the test pairs of a seeded sample of the test users (the same users on any partitioning; a
   * different hash seed from the validation sample's, so the two samples are not the same user ranks).
   */
  static Dataset<Row> sampleTestUsers(Dataset<Row> test, SplitSettings split) {
    if (split.testUsers() == 0) {
      return test;
    }
    Dataset<Row> sample = ValidationSplit.sampleUsers(test, split.testUsers(), split.seed() ^ 0x7E57L);
    Dataset<Row> sampled = test.join(org.apache.spark.sql.functions.broadcast(sample),
        new String[] {Interactions.USER_INDEX}, "left_semi");
    LOG.info("Evaluating a sample of {} test users (split.testUsers)", split.testUsers());
    return sampled;
  }
}
