package dev.logq.job.ingest;

import dev.logq.job.ingest.InputSettings.InputFormat;
import dev.logq.common.config.JobConfig;
import dev.logq.common.error.DataException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * csv, tsv and gowalla input through Hadoop's TextInputFormat, which gives every line with its file
 * and byte offset (any Hadoop file system, globs, directories read recursively, compressed files
 * decompressed). The driver lists the files and reads the first line of the first one (the header, or
 * the field count); the executors parse every line with a {@link LineParser}.
 */
final class TextInput {
  private TextInput() {
  }

  static final String RECURSIVE = "mapreduce.input.fileinputformat.input.dir.recursive";

  /** FileInputFormat's own listing (globs, hidden files skipped), so ranks match the splits' paths. */
  private static final class Lister extends TextInputFormat {
    List<FileStatus> list(JobContext job) throws IOException {
      return listStatus(job);
    }
  }

  /** The input files in path order; none is a DataException. */
  static List<FileStatus> listFiles(Configuration conf, String path) {
    List<FileStatus> files;
    try {
      Job job = Job.getInstance(conf);
      FileInputFormat.setInputPaths(job, path);
      files = new ArrayList<>(new Lister().list(job));
    } catch (IOException e) {
      throw new DataException(path, "no input files: " + e.getMessage(), e);
    }
    if (files.isEmpty()) {
      throw new DataException(path, "no input files match this path");
    }
    files.sort(Comparator.comparing(f -> f.getPath().toString()));
    return files;
  }

  static Dataset<Row> read(SparkSession spark, InputSettings input, String path, IngestResult.Builder info) {
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    conf.setBoolean(RECURSIVE, true);
    List<FileStatus> files = listFiles(conf, path);
    Map<String, Long> ranks = new HashMap<>();
    for (int i = 0; i < files.size(); i++) {
      ranks.put(files.get(i).getPath().toString(), (long) i);
    }
    LineParser parser = input.format() == InputFormat.GOWALLA ? LineParser.gowalla() : delimitedParser(conf, input, files);
    info.timestampsFromInputOrder(input.format() == InputFormat.GOWALLA || !input.hasTimestampColumn());

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    @SuppressWarnings("unchecked")
    JavaNewHadoopRDD<LongWritable, Text> lines = (JavaNewHadoopRDD<LongWritable, Text>)
        jsc.newAPIHadoopFile(path, TextInputFormat.class, LongWritable.class, Text.class, conf);
    JavaRDD<Row> rows = lines.mapPartitionsWithInputSplit((split, iterator) -> {
      String file = ((FileSplit) split).getPath().toString();
      Long rank = ranks.get(file);
      if (rank == null) {
        throw new IllegalStateException("file " + file + " was not in the driver's listing of " + path);
      }
      return new ParsingIterator(iterator, parser, file, rank);
    }, true);
    return spark.createDataFrame(rows, InteractionReader.PARSED_SCHEMA);
  }

  /** Lazily parses lines into PARSED_SCHEMA rows. */
  private static final class ParsingIterator implements Iterator<Row> {
    private final Iterator<scala.Tuple2<LongWritable, Text>> lines;
    private final LineParser parser;
    private final String file;
    private final long rank;
    private final List<Row> pending = new ArrayList<>();
    private int next;

    ParsingIterator(Iterator<scala.Tuple2<LongWritable, Text>> lines, LineParser parser, String file, long rank) {
      this.lines = lines;
      this.parser = parser;
      this.file = file;
      this.rank = rank;
    }

    @Override
    public boolean hasNext() {
      while (next >= pending.size()) {
        if (!lines.hasNext()) {
          return false;
        }
        pending.clear();
        next = 0;
        scala.Tuple2<LongWritable, Text> line = lines.next();
        long offset = line._1().get();
        parser.parse(line._2().toString(), offset, rank, record -> pending.add(record.badReason == null
            ? RowFactory.create(record.user, record.item, record.timestamp, record.weight, null, false, null, null)
            : RowFactory.create(null, null, null, null, record.badReason, record.fatal, file, offset)));
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return pending.get(next++);
    }
  }

  private static LineParser delimitedParser(Configuration conf, InputSettings input, List<FileStatus> files) {
    String first = null;
    String source = null;
    for (FileStatus f : files) {
      String line = firstLine(conf, f.getPath());
      if (line != null) {
        first = line;
        source = f.getPath().toString();
        break;
      }
    }
    if (first == null) {
      throw new DataException(input.path(), "no interactions: all " + files.size() + " input file(s) are empty");
    }
    List<String> fields;
    try {
      fields = LineParser.trimmed(input.format() == InputFormat.CSV
          ? LineParser.splitCsv(first, input.delimiter()) : LineParser.splitPlain(first, input.delimiter()));
    } catch (IllegalArgumentException e) {
      throw new DataException(source, 1, "line", "cannot read the first line: " + e.getMessage(), null);
    }
    List<String> names = new ArrayList<>();
    if (input.header()) {
      names.addAll(fields);
    } else {
      for (int i = 0; i < fields.size(); i++) {
        names.add("_c" + i);
      }
    }
    ColumnResolver columns = new ColumnResolver(names, input.header(), source, input.format().configName());
    int user = columns.require(input.userColumn(), "input.userColumn");
    int item = columns.require(input.itemColumn(), "input.itemColumn");
    int timestamp = input.hasTimestampColumn() ? columns.require(input.timestampColumn(), "input.timestampColumn") : -1;
    int weight = input.hasWeightColumn() ? columns.require(input.weightColumn(), "input.weightColumn") : -1;
    columns.throwIfMissing();
    return new LineParser(input.format(), input.delimiter(), input.header(), input.header() ? fields : null, source,
        names, user, item, timestamp, weight);
  }

  /** Resolves configured column names to field positions, collecting every missing one. */
  private static final class ColumnResolver {
    private final List<String> names;
    private final boolean header;
    private final String source;
    private final String format;
    private final List<String> missing = new ArrayList<>();

    ColumnResolver(List<String> names, boolean header, String source, String format) {
      this.names = names;
      this.header = header;
      this.source = source;
      this.format = format;
    }

    int require(String column, String key) {
      int index = names.indexOf(column);
      if (index < 0 && !header) {
        try {
          int position = Integer.parseInt(column.trim());
          index = position >= 0 && position < names.size() ? position : -1;
        } catch (NumberFormatException e) {
          index = -1;
        }
      }
      if (index < 0) {
        missing.add("'" + column + "' (" + key + ")");
      }
      return index;
    }

    void throwIfMissing() {
      if (missing.isEmpty()) {
        return;
      }
      String found = header
          ? "the header of " + source + " has columns " + names
          : "input.header = false, so columns are named by position: 0.." + (names.size() - 1) + " or _c0.._c"
              + (names.size() - 1) + " (the first line of " + source + " has " + names.size() + " fields)";
      throw new DataException(source, "missing column(s) " + String.join(", ", missing) + " in the " + format
          + " input; " + found);
    }
  }

  /** The first line of a file (decompressed), or null if the file is empty. */
  private static String firstLine(Configuration conf, Path path) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
      try (InputStream raw = fs.open(path);
           InputStream in = codec == null ? raw : codec.createInputStream(raw);
           BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line = reader.readLine();
        if (line != null && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
          line = line.substring(1);
        }
        if (line != null && line.trim().isEmpty()) {
          throw new DataException(path.toString(), 1, "line", "the first line is blank; it must hold "
              + "the header (input.header = true) or the first record", null);
        }
        return line;
      }
    } catch (IOException e) {
      throw new DataException(path.toString(), "cannot read the file: " + e.getMessage(), e);
    }
  }
}
