package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.split.SplitSettings;
import dev.logq.common.data.SyntheticModel;
import dev.logq.job.ingest.IngestResult;
import dev.logq.job.ingest.InteractionReader;
import dev.logq.job.ingest.SyntheticData;
import dev.logq.job.output.MetricsDocument;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "read + validate" step: the embedded synthetic data (with its planted model) or the input files, and
 * for split.method = given the test files; the counts (and bad-record samples) go to metrics.json.
 */
final class InputStep {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  /** What was read and its counts (rows, bad records); {@code givenTest} only for split.method = given, {@code planted} only for synthetic data. */
  record Read(Dataset<Row> interactions, Dataset<Row> givenTest, SyntheticModel planted, Map<String, Long> counts) {}

  private InputStep() {}

  static Read read(SparkSession spark, JobConfig config, MetricsDocument metrics) {
    Map<String, Long> inputCounts = new LinkedHashMap<>();
    Read result;
    if (InputSettings.of(config).isSynthetic()) {
      SyntheticModel planted = SyntheticModel.of(config.synthetic());
      Dataset<Row> interactions = SyntheticData.generate(spark, config.synthetic())
          .persist(StorageLevel.MEMORY_AND_DISK());
      inputCounts.put("rows", interactions.count());
      inputCounts.put("bad_records", 0L);
      LOG.info("Generated {} synthetic interactions ({} users, {} items, Zipf exponent {})", inputCounts.get("rows"),
          config.synthetic().users(), config.synthetic().items(), config.synthetic().zipfExponent());
      result = new Read(interactions, null, planted, inputCounts);
    } else {
      IngestResult read = InteractionReader.read(spark, InputSettings.of(config));
      inputCounts.put("rows", read.rows());
      inputCounts.put("bad_records", read.badRecords());
      if (read.badRecords() > 0) {
        LOG.warn("Skipped {} bad records (input.badRecords=skip); examples: {}", read.badRecords(),
            read.badRecordSamples());
        metrics.put("bad_record_samples", read.badRecordSamples());
      }
      Dataset<Row> givenTest = null;
      if (SplitSettings.of(config).method() == SplitSettings.SplitMethod.GIVEN) {
        IngestResult test = InteractionReader.read(spark, InputSettings.of(config), InputSettings.of(config).testPath());
        givenTest = test.interactions();
        inputCounts.put("test_rows", test.rows());
        inputCounts.put("test_bad_records", test.badRecords());
      }
      result = new Read(read.interactions(), givenTest, null, inputCounts);
    }
    metrics.counts("input", inputCounts);
    return result;
  }
}
