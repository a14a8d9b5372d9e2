package dev.logq.job.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.common.error.DataException;
import dev.logq.common.error.ExitCode;
import dev.logq.job.SparkTestSession;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InteractionReaderTest {
  private static SparkSession spark;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("InteractionReaderTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static InputSettings input(String... overrides) {
    return InputSettings.of(JobConfig.load(null, Arrays.asList(overrides)));
  }

  private Path write(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text, StandardCharsets.UTF_8);
    return p;
  }

  /** Rows as "user item timestamp weight" strings, sorted. */
  private static List<String> rows(IngestResult r) {
    return r.interactions().collectAsList().stream()
        .map(x -> x.getString(0) + " " + x.getString(1) + " " + x.getLong(2) + " " + x.getDouble(3))
        .sorted().collect(Collectors.toList());
  }

  private static final String CSV = String.join("\n",
      "user_id,item_id,ts,w",
      "u1,i1,100,1.0",
      "u1,\"i,2\",200,2",
      "u2,i1,150,0",
      "") ;

  @Test
  void csvWithHeader() throws Exception {
    Path f = write("a.csv", CSV);
    IngestResult r = InteractionReader.read(spark, input("input.format=csv", "input.timestampColumn=ts", "input.weightColumn=w"),
        f.toUri().toString());
    assertEquals(List.of("u1 i,2 200 2.0", "u1 i1 100 1.0", "u2 i1 150 0.0"), rows(r));
    assertEquals(3, r.rows());
    assertEquals(0, r.badRecords());
    assertFalse(r.timestampsFromInputOrder());
    assertEquals(InteractionReader.SCHEMA, r.interactions().schema());
    r.unpersist();
  }

  @Test
  void csvMalformedRowsFailWithFileAndLine() throws Exception {
    Path f = write("bad.csv", String.join("\n",
        "user_id,item_id,ts,w",
        "u1,i1,100,1.0",
        "u1,i2,200",              // line 3: wrong field count
        "u2,i1,soon,1",           // line 4: timestamp
        "u2,i3,300,-1",           // line 5: negative weight
        ",i3,300,1",              // line 6: empty user
        "u3,i3,300,1", ""));
    InputSettings in = input("input.format=csv", "input.timestampColumn=ts", "input.weightColumn=w");
    DataException e = assertThrows(DataException.class, () -> InteractionReader.read(spark, in, f.toString()));
    assertEquals(3, e.row());
    assertEquals("line", e.rowKind());
    assertTrue(e.file().endsWith("bad.csv"), e.file());
    assertTrue(e.getMessage().contains("bad.csv line 3: expected 4 fields"), e.getMessage());
    assertTrue(e.getMessage().contains("4 bad record(s)") && e.getMessage().contains("input.badRecords = skip"), e.getMessage());
    assertEquals(ExitCode.BAD_INPUT_DATA, ExitCode.of(e));

    IngestResult skipped = InteractionReader.read(spark,
        input("input.format=csv", "input.timestampColumn=ts", "input.weightColumn=w", "input.badRecords=skip"), f.toString());
    assertEquals(List.of("u1 i1 100 1.0", "u3 i3 300 1.0"), rows(skipped));
    assertEquals(2, skipped.rows());
    assertEquals(4, skipped.badRecords());
    List<String> s = skipped.badRecordSamples();
    assertEquals(4, s.size());
    assertTrue(s.get(0).endsWith("bad.csv line 3: expected 4 fields [user_id, item_id, ts, w] separated by ',' but found 3"), s.get(0));
    assertTrue(s.get(1).endsWith("line 4: timestamp 'soon' is not an integer (column ts)"), s.get(1));
    assertTrue(s.get(2).endsWith("line 5: weight -1.0 is negative (column w)"), s.get(2));
    assertTrue(s.get(3).endsWith("line 6: empty user id (column user_id)"), s.get(3));
    skipped.unpersist();
  }

  @Test
  void tsvWithoutHeaderByPosition() throws Exception {
    Path f = write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\tNaN\t878887116\n");
    InputSettings in = input("input.format=tsv", "input.header=false", "input.userColumn=0", "input.itemColumn=_c1",
        "input.timestampColumn=3", "input.weightColumn=2");
    DataException e = assertThrows(DataException.class, () -> InteractionReader.read(spark, in, f.toString()));
    assertTrue(e.getMessage().contains("u.data line 3: weight is NaN (column _c2)"), e.getMessage());

    IngestResult r = InteractionReader.read(spark, input("input.format=tsv", "input.header=false", "input.userColumn=0",
        "input.itemColumn=1", "input.timestampColumn=3"), f.toString());
    assertEquals(List.of("186 302 891717742 1.0", "196 242 881250949 1.0", "22 377 878887116 1.0"), rows(r));
    r.unpersist();

    DataException named = assertThrows(DataException.class, () -> InteractionReader.read(spark,
        input("input.format=tsv", "input.header=false"), f.toString()));
    assertTrue(named.getMessage().contains("'user_id' (input.userColumn)")
        && named.getMessage().contains("named by position: 0..3 or _c0.._c3"), named.getMessage());
  }

  @Test
  void missingColumnsListTheColumnsFound() throws Exception {
    Path f = write("cols.csv", "uid,item_id,when\nu,i,1\n");
    DataException e = assertThrows(DataException.class,
        () -> InteractionReader.read(spark, input("input.format=csv", "input.timestampColumn=ts"), f.toString()));
    assertTrue(e.getMessage().contains("'user_id' (input.userColumn), 'ts' (input.timestampColumn)"), e.getMessage());
    assertTrue(e.getMessage().contains("has columns [uid, item_id, when]"), e.getMessage());
  }

  @Test
  void delimiterOverrideAndInputOrder() throws Exception {
    write("multi/part-1.csv", "user_id;item_id\nb;x\na;y\n");
    write("multi/part-0.csv", "user_id;item_id\na;z\n");
    IngestResult r = InteractionReader.read(spark, input("input.format=csv", "input.delimiter=;", "input.timestampColumn="),
        dir.resolve("multi").toString());
    assertTrue(r.timestampsFromInputOrder());
    List<Row> rows = r.interactions().orderBy("timestamp").collectAsList();
    // part-0 comes first in path order, then part-1's rows in file order
    assertEquals(List.of("z", "x", "y"), rows.stream().map(x -> x.getString(1)).collect(Collectors.toList()));
    assertEquals(1L << 40, rows.get(1).getLong(2) & (1L << 40));
    r.unpersist();
  }

  @Test
  void headersMustAgreeAcrossFilesEvenWhenSkipping() throws Exception {
    write("h/a.csv", "user_id,item_id\nu,i\n");
    write("h/b.csv", "item_id,user_id\ni,u\n");
    DataException e = assertThrows(DataException.class, () -> InteractionReader.read(spark,
        input("input.format=csv", "input.timestampColumn=", "input.badRecords=skip"), dir.resolve("h").toString()));
    assertTrue(e.getMessage().contains("b.csv line 1: the header [item_id, user_id] differs"), e.getMessage());
  }

  @Test
  void lineNumbersAreExactAcrossSplitsFilesCrlfAndGzip() throws Exception {
    StringBuilder big = new StringBuilder("user_id\titem_id\ttimestamp\r\n");
    for (int i = 2; i <= 3000; i++) {
      big.append("u").append(i % 17).append('\t').append("i").append(i % 101).append('\t')
          .append(i == 2718 ? "x" : String.valueOf(i)).append("\r\n");
    }
    write("splits/a.tsv", "user_id\titem_id\ttimestamp\nu\ti\t1\n");
    write("splits/b.tsv", big.toString());
    org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
    conf.set("mapreduce.input.fileinputformat.split.maxsize", "4096");  // b.tsv is read as ~10 splits
    try {
      DataException e = assertThrows(DataException.class,
          () -> InteractionReader.read(spark, input("input.format=tsv"), dir.resolve("splits").toString()));
      assertTrue(e.getMessage().contains("b.tsv line 2718: timestamp 'x' is not an integer"), e.getMessage());
      assertEquals(2718, e.row());
    } finally {
      conf.unset("mapreduce.input.fileinputformat.split.maxsize");
    }
    IngestResult skipped = InteractionReader.read(spark, input("input.format=tsv", "input.badRecords=skip"),
        dir.resolve("splits").toString());
    assertEquals(1 + 2998, skipped.rows());
    skipped.unpersist();

    Path gz = dir.resolve("z.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("user_id,item_id,timestamp\nu,i,1\nu,,2\n".getBytes(StandardCharsets.UTF_8));
    }
    DataException g = assertThrows(DataException.class, () -> InteractionReader.read(spark, input("input.format=csv"), gz.toString()));
    assertTrue(g.getMessage().contains("z.csv.gz line 3: empty item id"), g.getMessage());
  }

  @Test
  void gowallaLines() throws Exception {
    Path f = write("train.txt", "0 5 6 7\n1 5\n2\n");
    IngestResult r = InteractionReader.read(spark, input("input.format=gowalla"), f.toString());
    assertTrue(r.timestampsFromInputOrder());
    List<String> user0 = r.interactions().filter("user = '0'").orderBy("timestamp").collectAsList().stream()
        .map(x -> x.getString(1)).collect(Collectors.toList());
    assertEquals(List.of("5", "6", "7"), user0);
    assertEquals(4, r.rows());
    r.unpersist();
  }

  @Test
  void emptyInputs() throws Exception {
    Path empty = write("empty.csv", "");
    DataException e1 = assertThrows(DataException.class, () -> InteractionReader.read(spark, input("input.format=csv"), empty.toString()));
    assertTrue(e1.getMessage().contains("empty"), e1.getMessage());
    Path headerOnly = write("header.csv", "user_id,item_id,timestamp\n");
    DataException e2 = assertThrows(DataException.class, () -> InteractionReader.read(spark, input("input.format=csv"), headerOnly.toString()));
    assertTrue(e2.getMessage().contains("no interactions in the csv input"), e2.getMessage());
    DataException e3 = assertThrows(DataException.class,
        () -> InteractionReader.read(spark, input("input.format=csv"), dir.resolve("nothing-*.csv").toString()));
    assertTrue(e3.getMessage().contains("no input files"), e3.getMessage());
    DataException e4 = assertThrows(DataException.class,
        () -> InteractionReader.read(spark, input("input.format=parquet"), dir.resolve("absent").toString()));
    assertTrue(e4.getMessage().contains("absent") && e4.getMessage().contains("cannot read Parquet input"), e4.getMessage());
    Path allBad = write("allbad.csv", "user_id,item_id,timestamp\n,i,1\n");
    DataException e5 = assertThrows(DataException.class,
        () -> InteractionReader.read(spark, input("input.format=csv", "input.badRecords=skip"), allBad.toString()));
    assertTrue(e5.getMessage().contains("all 1 records are bad"), e5.getMessage());
  }

  // ----------------------------------------------------------------------------------- Parquet

  private String parquet(String name, StructType schema, List<Row> rows) {
    String path = dir.resolve(name).toString();
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(path);
    return path;
  }

  @Test
  void parquetGoodAndBadRows() {
    StructType schema = new StructType().add("user_id", DataTypes.LongType).add("item_id", DataTypes.StringType)
        .add("timestamp", DataTypes.LongType).add("w", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>(List.of(
        RowFactory.create(1L, "a", 10L, 1.0),
        RowFactory.create(2L, "b", 20L, 2.5),
        RowFactory.create(3L, null, 30L, 1.0),          // row index 2: null item
        RowFactory.create(4L, "d", 40L, Double.NaN),    // row index 3
        RowFactory.create(5L, "e", null, 1.0),          // row index 4
        RowFactory.create(6L, " ", 60L, 1.0)));         // row index 5
    String path = parquet("p", schema, rows);
    DataException e = assertThrows(DataException.class, () -> InteractionReader.read(spark, input("input.weightColumn=w"), path));
    assertEquals(3, e.row());
    assertEquals("row", e.rowKind());
    assertTrue(e.file().contains(".parquet") && !e.file().contains("%"), e.file());
    assertTrue(e.getMessage().contains("row 3: null item id (column item_id)") && e.getMessage().contains("[Parquet row index 2]"),
        e.getMessage());

    IngestResult r = InteractionReader.read(spark, input("input.weightColumn=w", "input.badRecords=skip"), path);
    assertEquals(List.of("1 a 10 1.0", "2 b 20 2.5"), rows(r));
    assertEquals(4, r.badRecords());
    assertTrue(r.badRecordSamples().get(1).contains("row 4: weight is NaN (column w)"), r.badRecordSamples().toString());
    assertTrue(r.badRecordSamples().get(2).contains("row 5: null timestamp (column timestamp)"), r.badRecordSamples().toString());
    assertTrue(r.badRecordSamples().get(3).contains("row 6: empty item id"), r.badRecordSamples().toString());
    r.unpersist();
  }

  @Test
  void parquetWrongSchema() {
    StructType schema = new StructType().add("user_id", DataTypes.DoubleType).add("item", DataTypes.StringType);
    String path = parquet("wrong", schema, List.of(RowFactory.create(1.0, "a")));
    DataException missing = assertThrows(DataException.class, () -> InteractionReader.read(spark, input(), path));
    assertTrue(missing.getMessage().contains("missing column(s) 'item_id' (input.itemColumn), 'timestamp' (input.timestampColumn)")
        && missing.getMessage().contains("its columns are [user_id: double, item: string]"), missing.getMessage());
    DataException type = assertThrows(DataException.class,
        () -> InteractionReader.read(spark, input("input.itemColumn=item", "input.timestampColumn="), path));
    assertTrue(type.getMessage().contains("column 'user_id' (input.userColumn) has type double; expected a string or integer id"),
        type.getMessage());
  }

  @Test
  void parquetTypeConflictBetweenFilesIsADataError() throws Exception {
    StructType longs = new StructType().add("user_id", DataTypes.LongType).add("item_id", DataTypes.LongType);
    StructType strings = new StructType().add("user_id", DataTypes.LongType).add("item_id", DataTypes.StringType);
    spark.createDataFrame(List.of(RowFactory.create(1L, 2L)), longs).coalesce(1).write().parquet(dir.resolve("mix/a").toString());
    spark.createDataFrame(List.of(RowFactory.create(1L, "x")), strings).coalesce(1).write().parquet(dir.resolve("mix/b").toString());
    DataException e = assertThrows(DataException.class,
        () -> InteractionReader.read(spark, input("input.timestampColumn="), dir.resolve("mix/*").toString()));
    assertTrue(e.getMessage().contains("cannot read the input: Parquet column cannot be converted in file")
        && e.getMessage().contains("Column: [item_id]"), e.getMessage());
  }

  @Test
  void parquetWithoutTimestampUsesFileThenRowOrder() {
    StructType schema = new StructType().add("user_id", DataTypes.StringType).add("item_id", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      rows.add(RowFactory.create("u", i));
    }
    String path = dir.resolve("ordered").toString();
    spark.createDataFrame(rows, schema).repartition(1).write().parquet(path);
    IngestResult r = InteractionReader.read(spark, input("input.timestampColumn="), path);
    Dataset<Row> df = r.interactions();
    List<String> items = df.orderBy("timestamp").collectAsList().stream().map(x -> x.getString(1)).collect(Collectors.toList());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      expected.add(String.valueOf(i));
    }
    assertEquals(expected, items);
    r.unpersist();
  }

  @Test
  void parquetTimestampTypes() {
    StructType schema = new StructType().add("user_id", DataTypes.IntegerType).add("item_id", DataTypes.IntegerType)
        .add("timestamp", DataTypes.StringType).add("w", DataTypes.StringType);
    String path = parquet("strings", schema, List.of(RowFactory.create(1, 2, " 17 ", "0.25"), RowFactory.create(1, 3, "x", "1")));
    DataException e = assertThrows(DataException.class, () -> InteractionReader.read(spark, input("input.weightColumn=w"), path));
    assertTrue(e.getMessage().contains("row 2: timestamp 'x' is not an integer"), e.getMessage());
    IngestResult r = InteractionReader.read(spark, input("input.weightColumn=w", "input.badRecords=skip"), path);
    assertEquals(List.of("1 2 17 0.25"), rows(r));
    r.unpersist();
  }
}
