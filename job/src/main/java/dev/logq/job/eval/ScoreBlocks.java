package dev.logq.job.eval;

import dev.logq.common.data.Interactions;
import dev.logq.common.eval.TopK;
import dev.logq.common.linalg.Matrices;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import scala.Tuple2;

/**
 * The executor-side pieces of the blocked top-K: rows, blocks of rows, and the scoring of one
 * (user block, item block) pair. No Spark calls here, so it can be tested on its own.
 */
final class ScoreBlocks {

  /** Scores buffered per matrix product: bounds a task's memory whatever the block sizes (16 MiB). */
  static final int SCORE_BUFFER_FLOATS = 1 << 22;

  private ScoreBlocks() {}

  // Plain classes, not records: these cross the network in shuffles and caches, and Kryo
  // (spark.serializer=KryoSerializer, common on clusters) cannot serialize Java records.

  /** One user to score: embedding, test items (sorted, for the metrics), seen items (sorted, may be empty). */
  static final class UserRow implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int id;
    private final float[] vector;
    private final int[] test;
    private final int[] seen;

    UserRow(int id, float[] vector, int[] test, int[] seen) {
      this.id = id;
      this.vector = vector;
      this.test = test;
      this.seen = seen;
    }

    int id() {
      return id;
    }

    float[] vector() {
      return vector;
    }

    int[] test() {
      return test;
    }

    int[] seen() {
      return seen;
    }
  }

  /** One item: index and embedding. */
  static final class ItemRow implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int id;
    private final float[] vector;

    ItemRow(int id, float[] vector) {
      this.id = id;
      this.vector = vector;
    }

    int id() {
      return id;
    }

    float[] vector() {
      return vector;
    }
  }

  /**
   * Rows stacked into a row-major matrix. {@code seen[r]} is row r's sorted seen items (users only,
   * {@code null} for items). Item blocks are sorted by id so that the seen filter is a merge walk.
   */
  static final class Block implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int[] ids;
    private final float[] vectors;
    private final int dim;
    private final int[][] seen;

    Block(int[] ids, float[] vectors, int dim, int[][] seen) {
      this.ids = ids;
      this.vectors = vectors;
      this.dim = dim;
      this.seen = seen;
    }

    int[] ids() {
      return ids;
    }

    float[] vectors() {
      return vectors;
    }

    int dim() {
      return dim;
    }

    int[][] seen() {
      return seen;
    }

    int size() {
      return ids.length;
    }
  }

  static Iterator<Block> userBlocks(Iterator<UserRow> rows, int blockSize) {
    return new Chunker<>(rows, blockSize, chunk -> {
      int dim = chunk.get(0).vector().length;
      int[] ids = new int[chunk.size()];
      float[] vectors = new float[chunk.size() * dim];
      int[][] seen = new int[chunk.size()][];
      for (int r = 0; r < chunk.size(); r++) {
        UserRow row = chunk.get(r);
        requireDim(row.vector(), dim, Interactions.USER_INDEX, row.id(), chunk.get(0).id());
        ids[r] = row.id();
        System.arraycopy(row.vector(), 0, vectors, r * dim, dim);
        seen[r] = row.seen();
      }
      return new Block(ids, vectors, dim, seen);
    });
  }

  static Iterator<Block> itemBlocks(Iterator<ItemRow> rows, int blockSize) {
    return new Chunker<>(rows, blockSize, chunk -> {
      chunk.sort(Comparator.comparingInt(ItemRow::id));
      int dim = chunk.get(0).vector().length;
      int[] ids = new int[chunk.size()];
      float[] vectors = new float[chunk.size() * dim];
      for (int r = 0; r < chunk.size(); r++) {
        ItemRow row = chunk.get(r);
        requireDim(row.vector(), dim, Interactions.ITEM_INDEX, row.id(), chunk.get(0).id());
        ids[r] = row.id();
        System.arraycopy(row.vector(), 0, vectors, r * dim, dim);
      }
      return new Block(ids, vectors, dim, null);
    });
  }

  private static void requireDim(float[] v, int dim, String column, int id, int firstId) {
    if (v.length != dim) {
      throw new IllegalArgumentException("embedding of " + column + " " + id + " has dimension " + v.length
          + " but " + column + " " + firstId + " has " + dim + "; all embeddings must have one dimension");
    }
  }

  /**
   * Top {@code k} items of the item block for every user of the user block, the user's seen items
   * skipped. Scores are computed a few users at a time into one buffer of at most
   * {@link #SCORE_BUFFER_FLOATS} floats.
   */
  static Iterator<Tuple2<Integer, TopK>> topKOfPair(Block users, Block items, int k) {
    if (users.dim() != items.dim()) {
      throw new IllegalArgumentException("user embeddings have dimension " + users.dim()
          + " but item embeddings have " + items.dim());
    }
    int d = users.dim();
    int ni = items.size();
    int rowsPerChunk = Math.max(1, Math.min(users.size(), SCORE_BUFFER_FLOATS / Math.max(1, ni)));
    float[] userChunk = new float[rowsPerChunk * d];
    float[] scores = new float[rowsPerChunk * ni];
    int[] itemIds = items.ids();
    List<Tuple2<Integer, TopK>> out = new ArrayList<>(users.size());
    for (int start = 0; start < users.size(); start += rowsPerChunk) {
      int m = Math.min(rowsPerChunk, users.size() - start);
      System.arraycopy(users.vectors(), start * d, userChunk, 0, m * d);
      Matrices.multiplyTransposed(userChunk, items.vectors(), scores, m, ni, d);
      for (int r = 0; r < m; r++) {
        int[] seen = users.seen() == null ? null : users.seen()[start + r];
        TopK top = new TopK(k);
        int base = r * ni;
        int sp = 0;
        for (int j = 0; j < ni; j++) {
          int item = itemIds[j];
          if (seen != null && seen.length > 0) {
            while (sp < seen.length && seen[sp] < item) {
              sp++;
            }
            if (sp < seen.length && seen[sp] == item) {
              continue;
            }
          }
          top.offer(scores[base + j], item);
        }
        out.add(new Tuple2<>(users.ids()[start + r], top));
      }
    }
    return out.iterator();
  }

  /** Groups an iterator into lists of at most {@code size} and maps each list. */
  private static final class Chunker<T, R> implements Iterator<R> {
    private final Iterator<T> in;
    private final int size;
    private final java.util.function.Function<List<T>, R> build;

    Chunker(Iterator<T> in, int size, java.util.function.Function<List<T>, R> build) {
      this.in = in;
      this.size = size;
      this.build = build;
    }

    @Override
    public boolean hasNext() {
      return in.hasNext();
    }

    @Override
    public R next() {
      List<T> chunk = new ArrayList<>(Math.min(size, 1024));
      while (chunk.size() < size && in.hasNext()) {
        chunk.add(in.next());
      }
      if (chunk.isEmpty()) {
        throw new java.util.NoSuchElementException();
      }
      return build.apply(chunk);
    }
  }

  static int[] sortedDistinct(int[] a) {
    return Arrays.stream(a).distinct().sorted().toArray();
  }
}
