package dev.logq.job.ingest;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.shiftleft;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import dev.logq.common.error.DataException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Parquet input: column mapping and type checks against the file schema (before any job), then
 * per-row validation as Spark expressions. A bad row's position is its {@code _metadata.row_index}
 * (Spark 3.5's exact 0-based index of the row within its file), reported 1-based.
 */
final class ParquetInput {
  private ParquetInput() {
  }

  private static final String FILE = "_logq_file";
  private static final String ROW = "_logq_row";

  static Dataset<Row> read(SparkSession spark, InputSettings input, String path, IngestResult.Builder info) {
    Dataset<Row> df;
    try {
      df = spark.read().parquet(path);
    } catch (Exception e) {
      if (e instanceof AnalysisException) {
        AnalysisException a = (AnalysisException) e;
        if ("UNABLE_TO_INFER_SCHEMA".equals(a.getErrorClass())) {
          // Spark's own words ("Unable to infer schema ... specified manually") point the wrong way.
          throw new DataException(path, "no Parquet data files under this path (an empty directory, or only hidden"
              + " files such as _SUCCESS); check input.path, and set input.format (csv, tsv, gowalla) for text input", e);
        }
        throw new DataException(path, "cannot read Parquet input: " + a.getSimpleMessage(), e);
      }
      throw e;
    }
    StructType schema = df.schema();
    List<String> problems = new ArrayList<>();
    StructField user = field(schema, input.userColumn(), "input.userColumn", problems);
    StructField item = field(schema, input.itemColumn(), "input.itemColumn", problems);
    StructField timestamp = input.hasTimestampColumn() ? field(schema, input.timestampColumn(), "input.timestampColumn", problems) : null;
    StructField weight = input.hasWeightColumn() ? field(schema, input.weightColumn(), "input.weightColumn", problems) : null;
    if (!problems.isEmpty()) {
      throw new DataException(path, "missing column(s) " + String.join(", ", problems) + " in the Parquet input; its columns are "
          + describe(schema));
    }
    if (!isId(user.dataType())) {
      problems.add(typeProblem(user, "input.userColumn", "a string or integer id"));
    }
    if (!isId(item.dataType())) {
      problems.add(typeProblem(item, "input.itemColumn", "a string or integer id"));
    }
    if (timestamp != null && !isTimestampType(timestamp.dataType())) {
      problems.add(typeProblem(timestamp, "input.timestampColumn", "an integer, timestamp, date or numeric string"));
    }
    if (weight != null && !isNumericOrString(weight.dataType())) {
      problems.add(typeProblem(weight, "input.weightColumn", "a number or numeric string"));
    }
    if (!problems.isEmpty()) {
      throw new DataException(path, "wrong column type(s) in the Parquet input: " + String.join("; ", problems));
    }
    info.timestampsFromInputOrder(timestamp == null);

    df = df.select(col("*"), col("_metadata.file_path").as(FILE), col("_metadata.row_index").as(ROW));

    Column userRaw = col(quote(user.name()));
    Column userId = userRaw.cast(DataTypes.StringType);
    Column itemRaw = col(quote(item.name()));
    Column itemId = itemRaw.cast(DataTypes.StringType);
    Column bad = when(userRaw.isNull(), lit("null user id (column " + user.name() + ")"))
        .when(trim(userId).equalTo(""), lit("empty user id (column " + user.name() + ")"))
        .when(itemRaw.isNull(), lit("null item id (column " + item.name() + ")"))
        .when(trim(itemId).equalTo(""), lit("empty item id (column " + item.name() + ")"));

    Column time;
    if (timestamp != null) {
      Column raw = col(quote(timestamp.name()));
      time = timestampExpression(timestamp);
      String column = " (column " + timestamp.name() + ")";
      bad = bad.when(raw.isNull(), lit("null timestamp" + column))
          .when(time.isNull(), concat(lit("timestamp '"), raw.cast(DataTypes.StringType), lit("' is not an integer" + column)));
    } else {
      // Input order: files in path order, rows in file order.
      List<Row> files = df.select(col(FILE)).distinct().collectAsList();
      List<String> paths = new ArrayList<>();
      for (Row r : files) {
        paths.add(r.getString(0));
      }
      paths.sort(Comparator.comparing(InteractionReader::displayPath).thenComparing(Comparator.naturalOrder()));
      List<Row> ranks = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) {
        ranks.add(RowFactory.create(paths.get(i), (long) i));
      }
      StructType rankSchema = new StructType().add(FILE + "_r", DataTypes.StringType).add("_logq_rank", DataTypes.LongType);
      df = df.join(broadcast(spark.createDataFrame(ranks, rankSchema)), col(FILE).equalTo(col(FILE + "_r")));
      time = shiftleft(col("_logq_rank"), 40).bitwiseOR(col(ROW));
    }

    Column weightValue;
    if (weight != null) {
      Column raw = col(quote(weight.name()));
      weightValue = weight.dataType() == DataTypes.StringType
          ? expr("try_cast(" + quote(weight.name()) + " AS DOUBLE)") : raw.cast(DataTypes.DoubleType);
      String column = " (column " + weight.name() + ")";
      bad = bad.when(raw.isNull(), lit("null weight" + column))
          .when(weightValue.isNull(), concat(lit("weight '"), raw.cast(DataTypes.StringType), lit("' is not a number" + column)))
          .when(isnan(weightValue), lit("weight is NaN" + column))
          .when(weightValue.equalTo(lit(Double.POSITIVE_INFINITY)).or(weightValue.equalTo(lit(Double.NEGATIVE_INFINITY))),
              lit("weight is infinite" + column))
          .when(weightValue.lt(0), concat(lit("weight "), weightValue.cast(DataTypes.StringType), lit(" is negative" + column)));
    } else {
      weightValue = lit(1.0);
    }

    Column isGood = bad.isNull();
    return df.select(
        when(isGood, userId).as(Interactions.USER),
        when(isGood, itemId).as(Interactions.ITEM),
        when(isGood, time).cast(DataTypes.LongType).as(Interactions.TIMESTAMP),
        when(isGood, weightValue).cast(DataTypes.DoubleType).as(Interactions.WEIGHT),
        bad.as(InteractionReader.BAD_REASON),
        lit(false).as(InteractionReader.BAD_FATAL),
        when(isGood.unary_$bang(), col(FILE)).as(InteractionReader.BAD_FILE),
        when(isGood.unary_$bang(), col(ROW)).cast(DataTypes.LongType).as(InteractionReader.BAD_POSITION));
  }

  /** The timestamp as a long, null where the value is not an integer. */
  private static Column timestampExpression(StructField f) {
    DataType t = f.dataType();
    String q = quote(f.name());
    if (t == DataTypes.TimestampType || t == DataTypes.TimestampNTZType) {
      return expr("unix_micros(CAST(" + q + " AS TIMESTAMP))");
    }
    if (t instanceof DateType) {
      return expr("CAST(unix_date(" + q + ") AS BIGINT)");
    }
    if (t == DataTypes.StringType) {
      return expr("try_cast(trim(" + q + ") AS BIGINT)");
    }
    if (isIntegral(t)) {
      return col(q).cast(DataTypes.LongType);
    }
    // float, double, decimal: only whole numbers are timestamps
    Column d = col(q).cast(DataTypes.DoubleType);
    return when(d.equalTo(expr("floor(CAST(" + q + " AS DOUBLE))")).and(d.lt(9.2e18)).and(d.gt(-9.2e18)), d.cast(DataTypes.LongType));
  }

  private static StructField field(StructType schema, String name, String key, List<String> missing) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    missing.add("'" + name + "' (" + key + ")");
    return null;
  }

  private static String describe(StructType schema) {
    List<String> parts = new ArrayList<>();
    for (StructField f : schema.fields()) {
      parts.add(f.name() + ": " + f.dataType().simpleString());
    }
    return "[" + String.join(", ", parts) + "]";
  }

  private static String typeProblem(StructField f, String key, String expected) {
    return "column '" + f.name() + "' (" + key + ") has type " + f.dataType().simpleString() + "; expected " + expected;
  }

  private static boolean isIntegral(DataType t) {
    return t == DataTypes.LongType || t == DataTypes.IntegerType || t == DataTypes.ShortType || t == DataTypes.ByteType
        || (t instanceof DecimalType && ((DecimalType) t).scale() == 0);
  }

  private static boolean isId(DataType t) {
    return t == DataTypes.StringType || isIntegral(t);
  }

  private static boolean isNumericOrString(DataType t) {
    return t == DataTypes.StringType || isIntegral(t) || t == DataTypes.DoubleType || t == DataTypes.FloatType
        || t instanceof DecimalType;
  }

  private static boolean isTimestampType(DataType t) {
    return isNumericOrString(t) || t == DataTypes.TimestampType || t == DataTypes.TimestampNTZType || t instanceof DateType;
  }

  /** A column name for col()/expr(), safe for dots and spaces. */
  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
