package dev.logq.common.error;

/**
 * Bad input data: the message names the file, the row and what is wrong, e.g.
 * {@code file:/data/u.csv line 7: weight -1.0 is negative}.
 */
public final class DataException extends LogqException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final long row;
  private final String rowKind;
  private final String reason;

  /** A problem with a whole input (no files, no rows, a missing column): no row. */
  public DataException(String file, String reason) {
    this(file, 0, null, reason, null);
  }

  public DataException(String file, String reason, Throwable cause) {
    this(file, 0, null, reason, cause);
  }

  /**
   * @param file the file (a Hadoop path or URI), or null when the problem is not tied to one
   * @param row 1-based position of the record in the file, 0 when unknown
   * @param rowKind what {@code row} counts: "line" (text formats, the header included) or "row"
   *     (Parquet rows), or null
   * @param reason what is wrong, with the offending value
   */
  public DataException(String file, long row, String rowKind, String reason, Throwable cause) {
    super(format(file, row, rowKind, reason), cause);
    this.file = file;
    this.row = row;
    this.rowKind = rowKind;
    this.reason = reason;
  }

  private static String format(String file, long row, String rowKind, String reason) {
    StringBuilder message = new StringBuilder("Bad input data");
    if (file != null) {
      message.append(" in ").append(file);
    }
    if (row > 0) {
      message.append(' ').append(rowKind == null ? "row" : rowKind).append(' ').append(row);
    }
    return message.append(": ").append(reason).toString();
  }

  /** The file at fault, or null. */
  public String file() {
    return file;
  }

  /** 1-based line (text formats, header included) or row (Parquet) in {@link #file()}, 0 when unknown. */
  public long row() {
    return row;
  }

  /** "line", "row" or null: what {@link #row()} counts. */
  public String rowKind() {
    return rowKind;
  }

  public String reason() {
    return reason;
  }

  @Override
  public ExitCode exitCode() {
    return ExitCode.BAD_INPUT_DATA;
  }
}
