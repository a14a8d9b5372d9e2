package dev.logq.common.eval;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The K best (score, item) pairs seen so far, in O(log K) per offer.
 *
 * <p>"Better" is a total order so that results never depend on the order items arrive in (which
 * differs with the block layout and the Spark partitioning): a higher score is better; on equal
 * scores the lower item index is better. NaN scores are treated as negative infinity, i.e. they rank
 * last instead of poisoning the order.
 *
 * <p>Stored as a binary heap whose root is the worst kept entry, so the common case (a candidate
 * worse than everything kept) costs one comparison. Mutable; {@link #merge} makes it usable as the
 * combiner of a reduce.
 */
public final class TopK implements Serializable {

  private static final long serialVersionUID = 1L;

  private final int capacity;
  private final float[] scores;
  private final int[] items;
  private int size;

  public TopK(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("top-K capacity must be >= 1, got " + capacity);
    }
    this.capacity = capacity;
    this.scores = new float[capacity];
    this.items = new int[capacity];
  }

  public int capacity() {
    return capacity;
  }

  public int size() {
    return size;
  }

  /** True when (s1, i1) ranks strictly before (s2, i2). Scores must already be NaN-free. */
  static boolean better(float s1, int i1, float s2, int i2) {
    return s1 > s2 || (s1 == s2 && i1 < i2);
  }

  /** Offers one candidate; returns whether it was kept. */
  public boolean offer(float score, int item) {
    float s = Float.isNaN(score) ? Float.NEGATIVE_INFINITY : score;
    if (size < capacity) {
      scores[size] = s;
      items[size] = item;
      siftUp(size);
      size++;
      return true;
    }
    if (!better(s, item, scores[0], items[0])) {
      return false;
    }
    scores[0] = s;
    items[0] = item;
    siftDown(0);
    return true;
  }

  /** Adds every entry of {@code other} into this one (which keeps its capacity) and returns this. */
  public TopK merge(TopK other) {
    for (int i = 0; i < other.size; i++) {
      offer(other.scores[i], other.items[i]);
    }
    return this;
  }

  /** Item indices, best first. */
  public int[] sortedItems() {
    int[] order = sortedPositions();
    int[] out = new int[size];
    for (int r = 0; r < size; r++) {
      out[r] = items[order[r]];
    }
    return out;
  }

  /** Scores aligned with {@link #sortedItems()}. */
  public float[] sortedScores() {
    int[] order = sortedPositions();
    float[] out = new float[size];
    for (int r = 0; r < size; r++) {
      out[r] = scores[order[r]];
    }
    return out;
  }

  private int[] sortedPositions() {
    Integer[] pos = new Integer[size];
    for (int i = 0; i < size; i++) {
      pos[i] = i;
    }
    Arrays.sort(pos, (a, b) -> better(scores[a], items[a], scores[b], items[b]) ? -1
        : better(scores[b], items[b], scores[a], items[a]) ? 1 : 0);
    int[] out = new int[size];
    for (int i = 0; i < size; i++) {
      out[i] = pos[i];
    }
    return out;
  }

  // Heap order: the parent is worse than (or equal to) its children, so the root is the worst.
  private boolean worse(int a, int b) {
    return better(scores[b], items[b], scores[a], items[a]);
  }

  private void siftUp(int pos) {
    int i = pos;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!worse(i, parent)) {
        break;
      }
      swap(i, parent);
      i = parent;
    }
  }

  private void siftDown(int pos) {
    int i = pos;
    while (true) {
      int left = 2 * i + 1;
      if (left >= size) {
        break;
      }
      int right = left + 1;
      int worst = right < size && worse(right, left) ? right : left;
      if (!worse(worst, i)) {
        break;
      }
      swap(i, worst);
      i = worst;
    }
  }

  private void swap(int a, int b) {
    float s = scores[a];
    scores[a] = scores[b];
    scores[b] = s;
    int t = items[a];
    items[a] = items[b];
    items[b] = t;
  }
}
