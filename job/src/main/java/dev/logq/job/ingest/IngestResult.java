package dev.logq.job.ingest;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What {@link InteractionReader#read} found: the valid interactions (schema of
 * {@link dev.logq.common.data.Interactions}) and what was skipped.
 *
 * <p>{@link #interactions()} is backed by a persisted (MEMORY_AND_DISK) scan of the input, so using it
 * again does not re-read the files; {@link #unpersist()} releases it.
 */
public final class IngestResult {
  private final String path;
  private final Dataset<Row> interactions;
  private final Dataset<Row> persisted;
  private final long rows;
  private final long badRecords;
  private final List<String> badRecordSamples;
  private final boolean timestampsFromInputOrder;

  IngestResult(String path, Dataset<Row> interactions, Dataset<Row> persisted, long rows, long badRecords,
      List<String> badRecordSamples, boolean timestampsFromInputOrder) {
    this.path = path;
    this.interactions = interactions;
    this.persisted = persisted;
    this.rows = rows;
    this.badRecords = badRecords;
    this.badRecordSamples = List.copyOf(badRecordSamples);
    this.timestampsFromInputOrder = timestampsFromInputOrder;
  }

  /** The path that was read. */
  public String path() {
    return path;
  }

  /** The valid interactions: user, item (strings), timestamp (long), weight (double), none null. */
  public Dataset<Row> interactions() {
    return interactions;
  }

  /** Number of valid interactions. */
  public long rows() {
    return rows;
  }

  /** Number of bad records removed (input.badRecords = skip; 0 otherwise, since any bad record fails). */
  public long badRecords() {
    return badRecords;
  }

  /** Up to {@link InteractionReader#SAMPLE_SIZE} of the first bad records: "file line n: reason". */
  public List<String> badRecordSamples() {
    return badRecordSamples;
  }

  /** True when the input had no timestamp column and the input order stands in for time. */
  public boolean timestampsFromInputOrder() {
    return timestampsFromInputOrder;
  }

  /** Releases the cached scan of the input. */
  public void unpersist() {
    persisted.unpersist();
  }

  /** State collected while reading. */
  static final class Builder {
    private boolean timestampsFromInputOrder;

    void timestampsFromInputOrder(boolean value) {
      timestampsFromInputOrder = value;
    }

    boolean timestampsFromInputOrder() {
      return timestampsFromInputOrder;
    }
  }
}
