package dev.logq.common.freq;

import dev.logq.common.error.DataException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Item counts c_i (dense item indices 0..n-1), their total C and log Q(i) = log(c_i / C), all in double.
 *
 * <p>Counts are row counts, or sums of the weight column when the input has one ({@link #weighted()});
 * both are held as doubles (row counts are exact up to 2^53). An item with count 0 never occurred in
 * training: {@link #logQ(int)} refuses it (a data error at training time, ../shared/LOSSES.md
 * "Numerics"), {@link #logQForSampling(int)} and {@link #toArray()} clamp it at log(1e-10).
 *
 * <p>Immutable and cheap to serialise (two double arrays), for Spark broadcasts.
 */
public final class LogQTable implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Q for items absent from the table (only where sampling or a dense array needs a value). */
  public static final double Q_FLOOR = 1e-10;
  public static final double LOG_Q_FLOOR = Math.log(Q_FLOOR);

  private static final int MAGIC = 0x4C4F4751;  // "LOGQ"
  private static final int FORMAT_VERSION = 1;

  private final double[] counts;
  private final double total;
  private final boolean weighted;
  /** log(c_i / C), LOG_Q_FLOOR where c_i = 0. */
  private final double[] logQ;

  private LogQTable(double[] counts, boolean weighted) {
    double sum = 0;
    for (int i = 0; i < counts.length; i++) {
      double c = counts[i];
      if (!(c >= 0) || Double.isInfinite(c)) {
        throw new IllegalArgumentException("count of item " + i + " is " + c + "; counts must be finite and >= 0");
      }
      sum += c;
    }
    if (!(sum > 0)) {
      throw new DataException(null, "the frequency table is empty: no training interactions (or all weights are 0) over "
          + counts.length + " items");
    }
    this.counts = counts;
    this.total = sum;
    this.weighted = weighted;
    this.logQ = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      logQ[i] = counts[i] > 0 ? Math.log(counts[i] / sum) : LOG_Q_FLOOR;
    }
  }

  /** A table of row counts: {@code counts[i]} interactions with item i. */
  public static LogQTable fromCounts(long[] counts) {
    double[] c = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      c[i] = counts[i];
    }
    return new LogQTable(c, false);
  }

  /** A table of summed weights: {@code weights[i]} is the total weight of item i's interactions. */
  public static LogQTable fromWeights(double[] weights) {
    return new LogQTable(weights.clone(), true);
  }

  public int numItems() {
    return counts.length;
  }

  /** c_i: the number of training interactions with the item (their summed weight if {@link #weighted()}). */
  public double count(int item) {
    checkIndex(item);
    return counts[item];
  }

  /** C = sum of c_i. */
  public double total() {
    return total;
  }

  /** True when the counts are sums of the input's weight column. */
  public boolean weighted() {
    return weighted;
  }

  /** Q(i) = c_i / C (0 for absent items). */
  public double q(int item) {
    checkIndex(item);
    return counts[item] / total;
  }

  /**
   * log Q(i) for an item seen in training.
   *
   * @throws DataException if the item has count 0: training must never meet an item the table lacks
   */
  public double logQ(int item) {
    checkIndex(item);
    if (counts[item] <= 0) {
      throw new DataException(null, "item index " + item + " has count 0 in the frequency table (it does not occur in"
          + " the training split), so log Q is undefined; the training data and the table disagree");
    }
    return logQ[item];
  }

  /** log Q(i), clamped at log(1e-10) for items with count 0 (for proposal probabilities of sampled items). */
  public double logQForSampling(int item) {
    checkIndex(item);
    return logQ[item];
  }

  /** log Q for every item index (absent items at log(1e-10)); a copy the caller may keep. */
  public double[] toArray() {
    return logQ.clone();
  }

  /** A copy of the counts c_i. */
  public double[] counts() {
    return counts.clone();
  }

  /** Number of items with a count above 0. */
  public int presentItems() {
    int n = 0;
    for (double c : counts) {
      if (c > 0) {
        n++;
      }
    }
    return n;
  }

  private void checkIndex(int item) {
    if (item < 0 || item >= counts.length) {
      throw new IndexOutOfBoundsException("item index " + item + " outside the frequency table's 0.." + (counts.length - 1));
    }
  }

  /** Writes the table (binary: magic, version, weighted flag, n, n doubles); the stream is not closed. */
  public void writeTo(OutputStream stream) throws IOException {
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
    out.writeInt(MAGIC);
    out.writeInt(FORMAT_VERSION);
    out.writeBoolean(weighted);
    out.writeInt(counts.length);
    for (double c : counts) {
      out.writeDouble(c);
    }
    out.flush();
  }

  /** Reads a table written by {@link #writeTo}; the stream is not closed. */
  public static LogQTable readFrom(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException("not a logQ table (bad magic number " + Integer.toHexString(magic) + ")");
    }
    int version = in.readInt();
    if (version != FORMAT_VERSION) {
      throw new IOException("logQ table format version " + version + " is not supported (expected " + FORMAT_VERSION + ")");
    }
    boolean weighted = in.readBoolean();
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("corrupt logQ table: " + n + " items");
    }
    double[] counts = new double[n];
    for (int i = 0; i < n; i++) {
      counts[i] = in.readDouble();
    }
    return new LogQTable(counts, weighted);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogQTable && ((LogQTable) o).weighted == weighted && Arrays.equals(((LogQTable) o).counts, counts);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(counts) * 31 + (weighted ? 1 : 0);
  }

  @Override
  public String toString() {
    return "LogQTable{items=" + counts.length + ", present=" + presentItems() + ", total=" + total
        + (weighted ? ", weighted" : "") + "}";
  }
}
