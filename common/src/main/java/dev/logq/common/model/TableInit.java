package dev.logq.common.model;

import java.io.Serializable;

/**
 * How the rows of an {@link EmbeddingTable} (or a dense tensor) start out: all zeros (optimizer state)
 * or Gaussian draws that are a pure function of (seed, tensor name, row) (parameters). Because the
 * initial values can be regenerated anywhere, rows nobody has written are never stored or shipped.
 */
public final class TableInit implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The initialiser's algorithm; stored in checkpoints, so existing kinds never change meaning. */
  public enum Kind {
    /** Every value 0. */
    ZEROS,
    /** N(0, std^2) via {@link CounterGaussian} (SplitMix64 counters, Box-Muller with StrictMath). */
    GAUSSIAN_V1
  }

  private static final TableInit ZEROS = new TableInit(Kind.ZEROS, 0L, 0.0);

  private final Kind kind;
  private final long seed;
  private final double std;

  private TableInit(Kind kind, long seed, double std) {
    this.kind = kind;
    this.seed = seed;
    this.std = std;
  }

  public static TableInit zeros() {
    return ZEROS;
  }

  /** Gaussian rows with standard deviation {@code std} (finite, >= 0). */
  public static TableInit gaussian(long seed, double std) {
    if (!(std >= 0.0) || Double.isInfinite(std)) {
      throw new IllegalArgumentException("initial standard deviation must be finite and >= 0, got " + std);
    }
    return new TableInit(Kind.GAUSSIAN_V1, seed, std);
  }

  static TableInit of(Kind kind, long seed, double std) {
    return kind == Kind.ZEROS ? ZEROS : gaussian(seed, std);
  }

  public Kind kind() {
    return kind;
  }

  public long seed() {
    return seed;
  }

  public double std() {
    return std;
  }

  public boolean isZeros() {
    return kind == Kind.ZEROS;
  }

  /** The key {@link #fillRow(long, long, float[], int, int)} needs for the tensor called {@code name}. */
  long keyFor(String name) {
    return kind == Kind.ZEROS ? 0L : CounterGaussian.tensorKey(seed, name);
  }

  /** Writes the initial values of row {@code row} of the tensor whose key is {@code key}. */
  void fillRow(long key, long row, float[] out, int off, int len) {
    if (kind == Kind.ZEROS) {
      java.util.Arrays.fill(out, off, off + len, 0f);
    } else {
      CounterGaussian.fillRow(key, row, std, out, off, len);
    }
  }

  /** A fresh dense tensor of {@code length} initial values (row 0 of the tensor called {@code name}). */
  public float[] newDense(String name, int length) {
    float[] values = new float[length];
    fillRow(keyFor(name), 0L, values, 0, length);
    return values;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TableInit)) {
      return false;
    }
    TableInit other = (TableInit) o;
    return kind == other.kind && seed == other.seed
        && Double.doubleToLongBits(std) == Double.doubleToLongBits(other.std);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Long.hashCode(seed) * 17 + Double.hashCode(std);
  }

  @Override
  public String toString() {
    return kind == Kind.ZEROS ? "zeros" : "gaussian(seed=" + seed + ", std=" + std + ")";
  }
}
