package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.error.DataException;
import dev.logq.job.console.JobConsole;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.split.SplitResult;
import dev.logq.job.split.SplitSettings;
import dev.logq.job.split.Splitter;
import dev.logq.job.split.ValidationSplit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "split" step: filter and split into train and test (split.*), then hold the validation split out of
 * the training part (never out of the test split); the model trains on the rest (fit).
 */
final class SplitStep {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  /**
   * @param split      train and test
   * @param validation the validation split of the training part; null for split.validation = none
   * @param fit        what the model trains on: the training part less the validation split
   */
  record Parts(SplitResult split, ValidationSplit.Result validation, Dataset<Row> fit) {}

  private SplitStep() {}

  static Parts split(JavaSparkContext sc, JobConfig config, InputStep.Read input, boolean embedsUnseenUsers,
                     MetricsDocument metrics) {
    sc.setJobGroup("logq-split", "Filtering and splitting (" + SplitSettings.of(config).method().configName() + ")", false);
    SplitResult split = Splitter.prepare(input.interactions(), input.givenTest(), config);
    metrics.put("split", split.stats());
    LOG.info("Split {}: {} training and {} test interactions", SplitSettings.of(config).method().configName(),
        split.trainRows(), split.testRows());
    JobConsole.stage("split", String.format(java.util.Locale.ROOT, "%s: %,d training, %,d test interactions",
        SplitSettings.of(config).method().configName(), split.trainRows(), split.testRows()));
    if (split.testRows() == 0) {
      throw new DataException(InputSettings.of(config).path(), "no test interactions remain after the split and the cold-start"
          + " rules (split " + split.stats() + "); there is nothing to evaluate");
    }
    if (!SplitSettings.of(config).hasValidation()) {
      return new Parts(split, null, split.train());
    }
    sc.setJobGroup("logq-split", "Holding out the validation split from the training part", false);
    ValidationSplit.Result validationSplit = ValidationSplit.carve(split.train(), SplitSettings.of(config), embedsUnseenUsers);
    metrics.put("validation_split", validationSplit.stats(SplitSettings.of(config).validationLeaveLastOut()
        ? "leave-last-out" : String.valueOf(SplitSettings.of(config).validationFraction())));
    LOG.info("Validation split: {} of the {} training interactions held out for validation ({} evaluable)",
        validationSplit.validationRowsBeforeColdStart(), split.trainRows(), validationSplit.validationRows());
    if (validationSplit.fitRows() == 0) {
      throw new DataException(InputSettings.of(config).path(), "the validation split (split.validation) left no training"
          + " interactions; use split.validation = none or a smaller fraction");
    }
    return new Parts(split, validationSplit, validationSplit.fit());
  }
}
