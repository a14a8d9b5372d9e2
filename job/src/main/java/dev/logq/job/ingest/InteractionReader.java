package dev.logq.job.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.logq.job.ingest.InputSettings.BadRecords;
import dev.logq.job.ingest.InputSettings.InputFormat;
import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.common.error.DataException;
import dev.logq.common.error.LogqException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads interactions in any supported format from any Hadoop path or glob into the normalised table of
 * {@link Interactions}, validating every record.
 *
 * <p>Bad records (wrong field count, unterminated quotes, null or empty ids, non-integer timestamps,
 * non-numeric, NaN, infinite or negative weights): with {@code input.badRecords = fail} the first one
 * (in path order, then position) fails the read with a {@link DataException} naming the file, the
 * 1-based line (text formats, the header counted) or row (Parquet) and the reason; with {@code skip}
 * they are removed, counted and sampled in the {@link IngestResult}. A header that differs between
 * files, missing columns and wrong column types always fail. No input files or no valid interaction is
 * a DataException too.
 *
 * <p>Timestamps: the configured column, or when there is none (always for gowalla) the input order:
 * {@code fileRank << 40 | position} with files ranked in path order and the position a byte offset
 * (text) or row index (Parquet), so later rows compare later.
 */
public final class InteractionReader {
  private static final Logger LOG = LoggerFactory.getLogger(InteractionReader.class);

  /** Bad records quoted in the result (skip mode). */
  public static final int SAMPLE_SIZE = 5;

  /** Skip-mode samples only get a line number when the file needs at most this much reading. */
  private static final long SAMPLE_SCAN_LIMIT = 1L << 30;

  static final String BAD_REASON = "_bad_reason";
  static final String BAD_FATAL = "_bad_fatal";
  static final String BAD_FILE = "_bad_file";
  static final String BAD_POSITION = "_bad_position";

  /** Every source produces this: a valid record, or a bad one with its reason and position. */
  static final StructType PARSED_SCHEMA = new StructType()
      .add(Interactions.USER, DataTypes.StringType, true)
      .add(Interactions.ITEM, DataTypes.StringType, true)
      .add(Interactions.TIMESTAMP, DataTypes.LongType, true)
      .add(Interactions.WEIGHT, DataTypes.DoubleType, true)
      .add(BAD_REASON, DataTypes.StringType, true)
      .add(BAD_FATAL, DataTypes.BooleanType, false)
      .add(BAD_FILE, DataTypes.StringType, true)
      .add(BAD_POSITION, DataTypes.LongType, true);

  /** The schema of {@link IngestResult#interactions()} (declared nullable, never null). */
  public static final StructType SCHEMA = new StructType()
      .add(Interactions.USER, DataTypes.StringType, true)
      .add(Interactions.ITEM, DataTypes.StringType, true)
      .add(Interactions.TIMESTAMP, DataTypes.LongType, true)
      .add(Interactions.WEIGHT, DataTypes.DoubleType, true);

  private InteractionReader() {
  }

  /** Reads {@code input.path()}. */
  public static IngestResult read(SparkSession spark, InputSettings input) {
    return read(spark, input, input.path());
  }

  /** Reads {@code path} with the format, columns and validation of {@code input} (e.g. input.testPath). */
  public static IngestResult read(SparkSession spark, InputSettings input, String path) {
    if (path == null || path.trim().isEmpty()) {
      throw new DataException(null, "no input path given (input.path is empty)");
    }
    IngestResult.Builder info = new IngestResult.Builder();
    boolean text = input.format() != InputFormat.PARQUET;
    Dataset<Row> parsed = null;
    try {
      parsed = text ? TextInput.read(spark, input, path, info) : ParquetInput.read(spark, input, path, info);
      parsed = parsed.persist(StorageLevel.MEMORY_AND_DISK());
      return validate(spark, input, path, parsed, text, info);
    } catch (Exception e) {  // Spark's SparkException is checked in Java's eyes but thrown anyway
      if (parsed != null) {
        parsed.unpersist();
      }
      throw InteractionReader.<RuntimeException>rethrow(translate(path, e));
    }
  }

  private static IngestResult validate(SparkSession spark, InputSettings input, String path, Dataset<Row> parsed,
      boolean text, IngestResult.Builder info) {
    Column bad = col(BAD_REASON);
    Row stats = parsed.agg(count(when(bad.isNull(), lit(1))), count(bad), count(when(col(BAD_FATAL), lit(1)))).first();
    long good = stats.getLong(0);
    long badCount = stats.getLong(1);
    long fatal = stats.getLong(2);
    Configuration conf = spark.sparkContext().hadoopConfiguration();

    if (fatal > 0 || (badCount > 0 && input.badRecords() == BadRecords.FAIL)) {
      Row first = firstBad(parsed, fatal > 0 ? col(BAD_FATAL) : bad.isNotNull(), 1).get(0);
      String hint = fatal > 0 ? "" : "; " + badCount + " bad record(s) in all. Fix the data, or set input.badRecords = skip"
          + " to remove and count them";
      throw badRecord(conf, first, text, hint, true);
    }
    if (good == 0) {
      throw new DataException(path, "no interactions in the " + input.format().configName() + " input"
          + (badCount > 0 ? " (all " + badCount + " records are bad and were skipped)" : ""));
    }
    List<String> samples = new ArrayList<>();
    if (badCount > 0) {
      for (Row r : firstBad(parsed, bad.isNotNull(), SAMPLE_SIZE)) {
        samples.add(badRecord(conf, r, text, "", false).getMessage().replaceFirst("^Bad input data in ", ""));
      }
      LOG.warn("Skipped {} bad record(s) of {} (input.badRecords = skip); the first: {}", badCount, path, samples);
    }
    if (info.timestampsFromInputOrder()) {
      LOG.info("{} has no timestamp column: the input order stands in for time", path);
    }
    LOG.info("Read {} interactions from {} ({})", good, path, input.format().configName());
    Dataset<Row> interactions =
        parsed.filter(bad.isNull()).select(Interactions.USER, Interactions.ITEM, Interactions.TIMESTAMP, Interactions.WEIGHT);
    return new IngestResult(path, interactions, parsed, good, badCount, samples, info.timestampsFromInputOrder());
  }

  private static List<Row> firstBad(Dataset<Row> parsed, Column which, int n) {
    return parsed.filter(which).select(BAD_FILE, BAD_POSITION, BAD_REASON)
        .orderBy(col(BAD_FILE), col(BAD_POSITION)).limit(n).collectAsList();
  }

  private static DataException badRecord(Configuration conf, Row r, boolean text, String hint, boolean exact) {
    String file = r.getString(0);
    long position = r.getLong(1);
    String reason = r.getString(2) + hint;
    if (!text) {
      return new DataException(displayPath(file), position + 1, "row", reason + " [Parquet row index " + position + "]", null);
    }
    if (!exact && position > SAMPLE_SCAN_LIMIT) {
      return new DataException(file, 0, null, reason + " [at byte offset " + position + "]", null);
    }
    try {
      long line = LineNumbers.lineAt(conf, file, position);
      return new DataException(file, Math.max(line, 0), "line", reason, null);
    } catch (IOException e) {
      return new DataException(file, 0, null, reason + " [at byte offset " + position + "; line number unavailable: "
          + e.getMessage() + "]", null);
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Exception> E rethrow(Exception e) throws E {
    throw (E) e;
  }

  /** Failures while Spark reads the files that are about the data, not the job, become DataExceptions. */
  private static Exception translate(String path, Exception e) {
    if (LogqException.find(e) != null) {
      return e;
    }
    // The innermost cause says it best: "file:/data/u.csv is not a Parquet file. Expected magic number ..."
    String notParquet = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      String firstLine = String.valueOf(t.getMessage()).split("\n")[0];
      if (firstLine.contains("is not a Parquet file")) {
        notParquet = firstLine.split("\\. Expected")[0];
      }
    }
    if (notParquet != null) {
      return new DataException(path, notParquet + "; input.format is parquet (the default): for text input set"
          + " input.format = csv, tsv or gowalla", e);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      String name = t.getClass().getName();
      String message = String.valueOf(t.getMessage());
      if (name.endsWith("SchemaColumnConvertNotSupportedException") || name.endsWith("ParquetDecodingException")
          || message.contains("is not a Parquet file") || t instanceof java.util.zip.ZipException
          || (t instanceof java.io.EOFException && message.contains("end of input stream"))) {
        // Spark's own message names the file ("... cannot be converted in file ..."); prefer it.
        String best = message;
        for (Throwable s = e; s != null && s != t; s = s.getCause()) {
          if (String.valueOf(s.getMessage()).contains(" in file ")) {
            best = s.getMessage();
          }
        }
        return new DataException(path, "cannot read the input: " + best.split("\n")[0], e);
      }
    }
    return e;
  }

  /** A Hadoop path string as users write it (Spark's _metadata.file_path is URL-encoded). */
  static String displayPath(String file) {
    try {
      return new Path(new URI(file)).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return file;
    }
  }
}
