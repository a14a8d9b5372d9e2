package dev.logq.job.train;

import java.util.function.IntBinaryOperator;

/**
 * A stable sort of row numbers by a comparator over them, on primitive arrays: sorting tens of millions of rows
 * held in columns without boxing one Integer per row (as {@code List.sort} over indices would).
 */
final class IndexSort {

  /** Below this a run is insertion-sorted. */
  private static final int INSERTION = 32;

  private IndexSort() {}

  /** The permutation 0..n-1 ordered by {@code compare} (negative, zero, positive as for a Comparator); stable. */
  static int[] stableOrder(int n, IntBinaryOperator compare) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (n > 1) {
      int[] scratch = order.clone();
      mergeSort(scratch, order, 0, n, compare);
    }
    return order;
  }

  /** Sorts dst[lo, hi), using src (holding the same values) as scratch: the classic ping-pong merge sort. */
  private static void mergeSort(int[] src, int[] dst, int lo, int hi, IntBinaryOperator compare) {
    if (hi - lo <= INSERTION) {
      for (int i = lo + 1; i < hi; i++) {
        int v = dst[i];
        int j = i - 1;
        while (j >= lo && compare.applyAsInt(dst[j], v) > 0) {
          dst[j + 1] = dst[j];
          j--;
        }
        dst[j + 1] = v;
      }
      return;
    }
    int mid = (lo + hi) >>> 1;
    mergeSort(dst, src, lo, mid, compare);
    mergeSort(dst, src, mid, hi, compare);
    if (compare.applyAsInt(src[mid - 1], src[mid]) <= 0) {
      System.arraycopy(src, lo, dst, lo, hi - lo);
      return;
    }
    for (int i = lo, p = lo, q = mid; i < hi; i++) {
      if (q >= hi || (p < mid && compare.applyAsInt(src[p], src[q]) <= 0)) {
        dst[i] = src[p++];
      } else {
        dst[i] = src[q++];
      }
    }
  }
}
