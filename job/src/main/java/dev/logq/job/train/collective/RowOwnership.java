package dev.logq.job.train.collective;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which worker owns which embedding row and dense tensor: a fixed function of (seed, table, row, N), the same
 * on every worker and in every run, independent of the data and the executor layout.
 *
 * <p>Per table of R rows a seeded affine permutation {@code p(row) = (a * row + b) mod R} (a coprime to R)
 * scatters the rows; {@code owner = p mod N} and {@code local = p / N}. Consecutive ids (e.g. the most popular
 * items, when ids are assigned by frequency) land on different owners, every owner gets R/N rows (+-1), and
 * each owner's rows have dense local indices 0..{@link #shardRows}-1, so an owner can hold its rows' parameters
 * and optimizer slots in compact tables of size R/N (the sharded optimizer state) and write them as one shard.
 * A dense tensor is owned whole by {@code mix(seed, name) mod N} ({@link String#hashCode} is specified by the
 * JLS, so this is the same on every JVM).
 */
public final class RowOwnership implements Serializable {

  private static final long serialVersionUID = 1L;

  private final int workers;
  private final long seed;
  private final TreeMap<String, long[]> tables = new TreeMap<>(); // name -> {rows, a, b, aInverse}

  /** @param tableRows the embedding tables' row counts, by table name */
  public RowOwnership(int workers, long seed, Map<String, Integer> tableRows) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    }
    this.workers = workers;
    this.seed = seed;
    for (Map.Entry<String, Integer> e : tableRows.entrySet()) {
      long rows = e.getValue();
      if (rows < 1) {
        throw new IllegalArgumentException("table '" + e.getKey() + "' has " + rows + " rows");
      }
      long h = mix(seed ^ mix(e.getKey().hashCode()));
      long a = rows == 1 ? 1 : 1 + Math.floorMod(h, rows - 1);
      while (gcd(a, rows) != 1) {
        a = a + 1 == rows ? 1 : a + 1;
      }
      long b = Math.floorMod(mix(h), rows);
      tables.put(e.getKey(), new long[] {rows, a, b, inverse(a, rows)});
    }
  }

  public int workers() {
    return workers;
  }

  private long[] table(String name) {
    long[] t = tables.get(name);
    if (t == null) {
      int slash = name.indexOf('/'); // an optimizer slot table "adam.m/<table>" follows its table
      t = slash >= 0 ? tables.get(name.substring(slash + 1)) : null;
      if (t == null) {
        throw new IllegalArgumentException("no ownership for table '" + name + "' (known: " + tables.keySet() + ")");
      }
    }
    return t;
  }

  private static long position(long[] t, int row) {
    if (row < 0 || row >= t[0]) {
      throw new IllegalArgumentException("row " + row + " outside a table of " + t[0] + " rows");
    }
    return (t[1] * row + t[2]) % t[0];
  }

  /** The rank that owns {@code row} of {@code table}. */
  public int owner(String table, int row) {
    return (int) (position(table(table), row) % workers);
  }

  /**
   * {@link #owner} for every row of one table, the table looked up once: for the loops over a round's rows.
   */
  public java.util.function.IntUnaryOperator owners(String table) {
    long[] t = table(table);
    return row -> (int) (position(t, row) % workers);
  }

  /**
   * Where {@code rank}'s shard holds each row it owns ({@link #localRow}), for stepping a gradient with global row
   * ids on the shard's compact tables; a row another rank owns fails, naming it and its owner.
   */
  public dev.logq.common.optim.StoreRows localRows(int rank) {
    return table -> {
      long[] t = table(table);
      return row -> {
        long p = position(t, row);
        if (p % workers != rank) {
          throw new IllegalArgumentException("rank " + rank + " was sent row " + row + " of '" + table
              + "', which rank " + p % workers + " owns");
        }
        return (int) (p / workers);
      };
    };
  }

  /** The row's index inside its owner's shard. */
  public int localRow(String table, int row) {
    return (int) (position(table(table), row) / workers);
  }

  /** The global row id of {@code owner}'s local row {@code local}. */
  public int globalRow(String table, int owner, int local) {
    long[] t = table(table);
    long p = (long) local * workers + owner;
    if (p >= t[0]) {
      throw new IllegalArgumentException("rank " + owner + " has no local row " + local + " in '" + table + "'");
    }
    return (int) Math.floorMod((p - t[2]) % t[0] * t[3], t[0]);
  }

  /** How many rows of {@code table} {@code owner} owns. */
  public int shardRows(String table, int owner) {
    long rows = table(table)[0];
    return (int) ((rows - owner + workers - 1) / workers);
  }

  /** The rank that owns dense tensor {@code name} (reduces it and steps it). */
  public int denseOwner(String name) {
    return (int) Math.floorMod(mix(seed ^ 0x5DEECE66DL ^ mix(name.hashCode())), (long) workers);
  }

  static long mix(long z) { // SplitMix64's finaliser
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static long gcd(long x, long y) {
    while (y != 0) {
      long t = x % y;
      x = y;
      y = t;
    }
    return x;
  }

  private static long inverse(long a, long m) {
    if (m == 1) {
      return 0;
    }
    long t = 0;
    long newT = 1;
    long r = m;
    long newR = a;
    while (newR != 0) {
      long q = r / newR;
      long tmp = t - q * newT;
      t = newT;
      newT = tmp;
      tmp = r - q * newR;
      r = newR;
      newR = tmp;
    }
    return Math.floorMod(t, m);
  }
}
