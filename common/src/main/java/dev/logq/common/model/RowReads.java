package dev.logq.common.model;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rows of each embedding table that one training step reads, collected before the step runs: what a worker
 * that keeps only part of the model current must fetch first (the collective backend's pull,
 * {@code ShardedExchange.pullRound}). Ids are added in any order, with repeats and -1 padding (skipped); {@link #build}
 * gives each table's sorted distinct ids. Dense tensors are not listed: every step reads all of them.
 */
public final class RowReads {

  private final TreeMap<String, int[]> ids = new TreeMap<>();
  private final TreeMap<String, Integer> counts = new TreeMap<>();

  /** Adds {@code rows[0..n)} of {@code table}; negative ids (padding) are skipped. */
  public RowReads add(String table, int[] rows, int n) {
    if (n > rows.length) {
      throw new IllegalArgumentException(n + " rows asked of an array of " + rows.length);
    }
    int[] have = ids.getOrDefault(table, new int[Math.max(16, n)]);
    int count = counts.getOrDefault(table, 0);
    if (have.length < count + n) {
      have = Arrays.copyOf(have, Math.max(count + n, 2 * have.length));
    }
    for (int i = 0; i < n; i++) {
      if (rows[i] >= 0) {
        have[count++] = rows[i];
      }
    }
    ids.put(table, have);
    counts.put(table, count);
    return this;
  }

  /** Table name to its sorted distinct row ids (tables with none left out). */
  public Map<String, int[]> build() {
    TreeMap<String, int[]> out = new TreeMap<>();
    for (var e : ids.entrySet()) {
      int count = counts.get(e.getKey());
      if (count == 0) {
        continue;
      }
      int[] sorted = Arrays.copyOf(e.getValue(), count);
      Arrays.sort(sorted);
      int distinct = 1;
      for (int i = 1; i < sorted.length; i++) {
        if (sorted[i] != sorted[distinct - 1]) {
          sorted[distinct++] = sorted[i];
        }
      }
      out.put(e.getKey(), Arrays.copyOf(sorted, distinct));
    }
    return out;
  }
}
