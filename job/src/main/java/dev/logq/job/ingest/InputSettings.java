package dev.logq.job.ingest;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Named;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import java.util.List;

/** input.*: where the interactions are and how to read them (the job's ingest package reads them). */
public final class InputSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> PATH = Setting.text("input.path", "", """
      Empty: the embedded synthetic generator (see synthetic). Otherwise any Hadoop path or glob:
      file:///..., hdfs://nn/..., s3a://bucket/... (with the s3a connector on the classpath).""");
  public static final Setting<InputFormat> FORMAT = Setting.choice("input.format", InputFormat.PARQUET, """
      parquet | csv | tsv | gowalla (one line per user: "user item item ...")""");
  public static final Setting<Boolean> HEADER = Setting.flag("input.header", true, """
      csv/tsv only: the first line of every file names the columns.""");
  public static final Setting<String> DELIMITER = Setting.rawText("input.delimiter", "", """
      csv/tsv only; empty means "," for csv and a tab for tsv. A tab: "\\t" in a file, '\\t' on the
      command line (a backslash and a t also mean a tab).""");
  public static final Setting<String> USER_COLUMN = Setting.nonEmptyText("input.userColumn", "user_id", """
      The user id column (ignored for gowalla). Without a header, name columns by 0-based
      position: "0" or "_c0" is the first field. Ids may be strings or integers.""");
  public static final Setting<String> ITEM_COLUMN = Setting.nonEmptyText("input.itemColumn", "item_id", """
      The item id column (ignored for gowalla).""");
  public static final Setting<String> TIMESTAMP_COLUMN = Setting.text("input.timestampColumn", "timestamp", """
      Optional; "" when the data has none. Without a timestamp the order of the input (file by
      file in path order, then row by row) stands in for time. Timestamps are only compared, so any
      integer unit works (Parquet TIMESTAMP columns are read as epoch microseconds).""");
  public static final Setting<String> WEIGHT_COLUMN = Setting.text("input.weightColumn", "", """
      Optional; "" when the data has none. Without a weight every row weighs 1; with one, weights must be finite and >= 0 and the
      frequency table sums weights instead of counting rows.""");
  public static final Setting<BadRecords> BAD_RECORDS = Setting.choice("input.badRecords", BadRecords.FAIL, """
      fail: the first bad row stops the job with its file and row. skip: bad rows are counted,
      logged and reported in metrics.json, never silently lost.""");
  public static final Setting<String> TEST_PATH = Setting.text("input.testPath", "", """
      Optional held-out file(s) in the same format, used when split.method = given.""");

  public static final List<Setting<?>> SETTINGS = List.of(PATH, FORMAT, HEADER, DELIMITER, USER_COLUMN, ITEM_COLUMN,
      TIMESTAMP_COLUMN, WEIGHT_COLUMN, BAD_RECORDS, TEST_PATH);

  public enum InputFormat implements Named {
    PARQUET("parquet"), CSV("csv"), TSV("tsv"), GOWALLA("gowalla");
    private final String name;

    InputFormat(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  public enum BadRecords implements Named {
    FAIL("fail"), SKIP("skip");
    private final String name;

    BadRecords(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  private final String path;
  private final InputFormat format;
  private final boolean header;
  private final String delimiter;
  private final String userColumn;
  private final String itemColumn;
  private final String timestampColumn;
  private final String weightColumn;
  private final BadRecords badRecords;
  private final String testPath;

  public InputSettings(SettingReader r) {
    super(r, SETTINGS);
    path = r.get(PATH);
    format = r.get(FORMAT);
    header = r.get(HEADER);
    String rawDelimiter = r.get(DELIMITER);
    userColumn = r.get(USER_COLUMN);
    itemColumn = r.get(ITEM_COLUMN);
    timestampColumn = r.get(TIMESTAMP_COLUMN);
    weightColumn = r.get(WEIGHT_COLUMN);
    badRecords = r.get(BAD_RECORDS);
    testPath = r.get(TEST_PATH);

    String d = rawDelimiter.replace("\\t", "\t");
    if (d.isEmpty()) {
      d = format == InputFormat.CSV ? "," : "\t";
    }
    if (d.indexOf('\n') >= 0 || d.indexOf('\r') >= 0 || (format == InputFormat.CSV && d.indexOf('"') >= 0)) {
      r.problem("input.delimiter", rawDelimiter, "a delimiter without line breaks (and without '\"' for csv)");
    }
    delimiter = d;
    if (userColumn.equals(itemColumn)) {
      r.problem("input.itemColumn", itemColumn, "a column other than input.userColumn");
    }
    for (String key : new String[] {"input.timestampColumn", "input.weightColumn"}) {
      String c = key.endsWith("timestampColumn") ? timestampColumn : weightColumn;
      if (!c.isEmpty() && (c.equals(userColumn) || c.equals(itemColumn))) {
        r.problem(key, c, "a column other than the user and item columns, or \"\"");
      }
    }
    if (!timestampColumn.isEmpty() && timestampColumn.equals(weightColumn)) {
      r.problem("input.weightColumn", weightColumn, "a column other than input.timestampColumn");
    }
  }

  /** The input path or glob; empty means the embedded synthetic generator. */
  public String path() {
    return path;
  }

  public boolean isSynthetic() {
    return path.isEmpty();
  }

  public InputFormat format() {
    return format;
  }

  public boolean header() {
    return header;
  }

  /** The resolved field delimiter for csv/tsv ("," or a tab unless set). */
  public String delimiter() {
    return delimiter;
  }

  public String userColumn() {
    return userColumn;
  }

  public String itemColumn() {
    return itemColumn;
  }

  /** The timestamp column, or "" when the data has none (input order then stands in for time). */
  public String timestampColumn() {
    return timestampColumn;
  }

  public boolean hasTimestampColumn() {
    return !timestampColumn.isEmpty();
  }

  /** The weight column, or "" when every row weighs 1. */
  public String weightColumn() {
    return weightColumn;
  }

  public boolean hasWeightColumn() {
    return !weightColumn.isEmpty();
  }

  public BadRecords badRecords() {
    return badRecords;
  }

  /** The held-out input for split.method = given; empty otherwise. */
  public String testPath() {
    return testPath;
  }

  public static InputSettings of(JobConfig config) {
    return config.view(InputSettings.class);
  }
}
