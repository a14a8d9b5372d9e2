package dev.logq.job.ingest;

import dev.logq.job.ingest.InputSettings.InputFormat;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Parses and validates one line of a csv, tsv or gowalla file into interaction records (no Spark, so it
 * is tested directly). Every problem becomes a bad record carrying its reason; nothing is dropped
 * except blank lines and the header line, which hold no interaction.
 */
final class LineParser implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Positions must fit below this so that (file rank, position) packs into one long. */
  static final long MAX_POSITION = 1L << 40;

  /** One parsed record: an interaction, or a bad record with its reason. */
  static final class Record {
    final String user;
    final String item;
    final Long timestamp;
    final double weight;
    final String badReason;
    final boolean fatal;

    private Record(String user, String item, Long timestamp, double weight, String badReason, boolean fatal) {
      this.user = user;
      this.item = item;
      this.timestamp = timestamp;
      this.weight = weight;
      this.badReason = badReason;
      this.fatal = fatal;
    }

    static Record good(String user, String item, long timestamp, double weight) {
      return new Record(user, item, timestamp, weight, null, false);
    }

    static Record bad(String reason, boolean fatal) {
      return new Record(null, null, null, 0, reason, fatal);
    }
  }

  private final InputFormat format;
  private final String delimiter;
  private final boolean header;
  private final List<String> headerFields;
  private final String headerSource;
  private final int fieldCount;
  private final int userIndex;
  private final int itemIndex;
  private final int timestampIndex;
  private final int weightIndex;
  private final List<String> columnNames;

  /**
   * @param headerFields the expected header (header mode), else null
   * @param headerSource the file the expected header (or field count) was taken from, for messages
   * @param columnNames names for messages: the header, or _c0.. without one
   * @param timestampIndex -1: the position in the input stands in for the timestamp
   * @param weightIndex -1: every record weighs 1
   */
  LineParser(InputFormat format, String delimiter, boolean header, List<String> headerFields, String headerSource,
      List<String> columnNames, int userIndex, int itemIndex, int timestampIndex, int weightIndex) {
    this.format = format;
    this.delimiter = delimiter;
    this.header = header && format != InputFormat.GOWALLA;
    this.headerFields = headerFields;
    this.headerSource = headerSource;
    this.columnNames = columnNames;
    this.fieldCount = columnNames == null ? 0 : columnNames.size();
    this.userIndex = userIndex;
    this.itemIndex = itemIndex;
    this.timestampIndex = timestampIndex;
    this.weightIndex = weightIndex;
  }

  /** A parser for gowalla lines ("user item item ..."). */
  static LineParser gowalla() {
    return new LineParser(InputFormat.GOWALLA, null, false, null, null, null, 0, 1, -1, -1);
  }

  /**
   * Parses the line at byte {@code offset} of the file with rank {@code fileRank} (in path order).
   * Without a timestamp column the timestamp is {@code fileRank << 40 | position}: the input order.
   */
  void parse(String line, long offset, long fileRank, Consumer<Record> out) {
    if (offset == 0 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
      line = line.substring(1);  // UTF-8 byte order mark
    }
    if (offset >= MAX_POSITION && timestampIndex < 0) {
      out.accept(Record.bad("the file is larger than 2^40 bytes, too large to use the input order as time;"
          + " set input.timestampColumn", true));
      return;
    }
    long orderBase = (fileRank << 40) | offset;
    if (format == InputFormat.GOWALLA) {
      parseGowalla(line, orderBase, out);
      return;
    }
    if (line.trim().isEmpty()) {
      return;
    }
    List<String> fields;
    try {
      fields = format == InputFormat.CSV ? splitCsv(line, delimiter) : splitPlain(line, delimiter);
    } catch (IllegalArgumentException e) {
      out.accept(Record.bad(e.getMessage(), false));
      return;
    }
    if (header && offset == 0) {
      if (!trimmed(fields).equals(headerFields)) {
        out.accept(Record.bad("the header " + fields + " differs from the header " + headerFields + " of " + headerSource
            + "; all files must have the same columns", true));
      }
      return;
    }
    if (fields.size() != fieldCount) {
      out.accept(Record.bad("expected " + fieldCount + " fields " + columnNames + " separated by "
          + describe(delimiter) + " but found " + fields.size(), false));
      return;
    }
    String user = fields.get(userIndex).trim();
    if (user.isEmpty()) {
      out.accept(Record.bad("empty user id (column " + columnNames.get(userIndex) + ")", false));
      return;
    }
    String item = fields.get(itemIndex).trim();
    if (item.isEmpty()) {
      out.accept(Record.bad("empty item id (column " + columnNames.get(itemIndex) + ")", false));
      return;
    }
    long timestamp = orderBase;
    if (timestampIndex >= 0) {
      String t = fields.get(timestampIndex).trim();
      try {
        timestamp = Long.parseLong(t);
      } catch (NumberFormatException e) {
        out.accept(Record.bad((t.isEmpty() ? "empty timestamp" : "timestamp '" + t + "' is not an integer")
            + " (column " + columnNames.get(timestampIndex) + ")", false));
        return;
      }
    }
    double weight = 1.0;
    if (weightIndex >= 0) {
      String w = fields.get(weightIndex).trim();
      String problem = null;
      try {
        weight = Double.parseDouble(w);
        problem = weightProblem(weight);
      } catch (NumberFormatException e) {
        problem = w.isEmpty() ? "empty weight" : "weight '" + w + "' is not a number";
      }
      if (problem != null) {
        out.accept(Record.bad(problem + " (column " + columnNames.get(weightIndex) + ")", false));
        return;
      }
    }
    out.accept(Record.good(user, item, timestamp, weight));
  }

  static List<String> trimmed(List<String> fields) {
    List<String> out = new ArrayList<>(fields.size());
    for (String f : fields) {
      out.add(f.trim());
    }
    return out;
  }

  /** Why a weight is unacceptable, or null. */
  static String weightProblem(double weight) {
    if (Double.isNaN(weight)) {
      return "weight is NaN";
    }
    if (Double.isInfinite(weight)) {
      return "weight is infinite";
    }
    if (weight < 0) {
      return "weight " + weight + " is negative";
    }
    return null;
  }

  private void parseGowalla(String line, long orderBase, Consumer<Record> out) {
    String[] tokens = line.trim().split("\\s+");
    if (tokens.length == 0 || tokens[0].isEmpty()) {
      return;  // blank line
    }
    // Item j of a line sits after j+1 separators, so offset + j + 1 stays inside the line: unique and ordered.
    for (int j = 1; j < tokens.length; j++) {
      out.accept(Record.good(tokens[0], tokens[j], orderBase + j, 1.0));
    }
  }

  private static String describe(String delimiter) {
    if (delimiter.equals("\t")) {
      return "tabs";
    }
    return "'" + delimiter + "'";
  }

  /** Splits on {@code delimiter}, keeping empty fields. */
  static List<String> splitPlain(String line, String delimiter) {
    List<String> fields = new ArrayList<>();
    int start = 0;
    while (true) {
      int at = line.indexOf(delimiter, start);
      if (at < 0) {
        fields.add(line.substring(start));
        return fields;
      }
      fields.add(line.substring(start, at));
      start = at + delimiter.length();
    }
  }

  /**
   * RFC 4180 fields on one line: a field may be quoted with '"' (after optional blanks), a doubled quote
   * inside stands for one. A quoted field cannot span lines.
   */
  static List<String> splitCsv(String line, String delimiter) {
    List<String> fields = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (true) {
      int j = i;
      while (j < n && (line.charAt(j) == ' ' || line.charAt(j) == '\t') && !line.startsWith(delimiter, j)) {
        j++;
      }
      if (j < n && line.charAt(j) == '"') {
        StringBuilder field = new StringBuilder();
        int k = j + 1;
        while (true) {
          if (k >= n) {
            throw new IllegalArgumentException("unterminated quoted field starting at character " + (j + 1)
                + " (quoted fields spanning lines are not supported)");
          }
          char c = line.charAt(k);
          if (c == '"') {
            if (k + 1 < n && line.charAt(k + 1) == '"') {
              field.append('"');
              k += 2;
              continue;
            }
            k++;
            break;
          }
          field.append(c);
          k++;
        }
        while (k < n && (line.charAt(k) == ' ' || line.charAt(k) == '\t') && !line.startsWith(delimiter, k)) {
          k++;
        }
        fields.add(field.toString());
        if (k >= n) {
          return fields;
        }
        if (!line.startsWith(delimiter, k)) {
          throw new IllegalArgumentException("unexpected character '" + line.charAt(k) + "' after the closing quote at character "
              + k);
        }
        i = k + delimiter.length();
      } else {
        int at = line.indexOf(delimiter, i);
        if (at < 0) {
          fields.add(line.substring(i));
          return fields;
        }
        fields.add(line.substring(i, at));
        i = at + delimiter.length();
      }
    }
  }
}
