package dev.logq.common.model.tower;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TensorStore;
import java.io.Serializable;

/**
 * The HISTORY user tower's input layer: looks up the user's last L items in the history embedding table
 * ({@link TwoTowerModel#HISTORY_EMBEDDING}, separate from the item tower's table so the towers share no
 * parameters) and pools them into one vector per row.
 *
 * <ul>
 *   <li>MEAN: h = (1/c) sum_l e_l over the c non-padding positions.</li>
 *   <li>ATTENTION: s_l = &lt;a, e_l&gt;, w = softmax(s) over the non-padding positions, h = sum_l w_l e_l,
 *       with a learned vector a ({@link TwoTowerModel#ATTENTION_VECTOR}, initialised to zero, i.e. the
 *       mean).</li>
 * </ul>
 * A row with no history item (c = 0: a brand-new user) gets the learned vector
 * {@link TwoTowerModel#EMPTY_HISTORY}. Positions carry no embedding of their own: the pooling is
 * order-free; "most recent last" only decides which L items are kept.
 */
final class HistoryPooler implements Serializable {

  private static final long serialVersionUID = 1L;

  private final HistoryPooling pooling;
  private final int length;
  private final int dim;
  private final int numItems;

  HistoryPooler(HistoryPooling pooling, int length, int dim, int numItems) {
    this.pooling = pooling;
    this.length = length;
    this.dim = dim;
    this.numItems = numItems;
  }

  /** What the backward pass needs from the forward pass. */
  static final class Cache implements UserTower.Pass {
    final int[] history;
    final int m;
    /** Non-padding positions per row. */
    final int[] counts;
    /** Gathered embeddings, m x L x dim (zeros at padding). */
    final float[] gathered;
    /** ATTENTION only: m x L weights (0 at padding). */
    final float[] weights;

    Cache(int[] history, int m, int[] counts, float[] gathered, float[] weights) {
      this.history = history;
      this.m = m;
      this.counts = counts;
      this.gathered = gathered;
      this.weights = weights;
    }
  }

  /** Writes the pooled vectors (m x dim) to {@code pooled}. */
  Cache forward(TensorStore params, int[] history, int m, float[] pooled) {
    if (history == null) {
      throw new IllegalArgumentException("the history user tower needs the batch's history (got none)");
    }
    if (history.length < (long) m * length) {
      throw new IllegalArgumentException("history has " + history.length + " entries; " + m + " rows x historyLength "
          + length + " needs " + (long) m * length);
    }
    EmbeddingTable table = params.table(HistoryTower.EMBEDDING);
    float[] empty = params.dense(HistoryTower.EMPTY_HISTORY);
    float[] attention = pooling == HistoryPooling.ATTENTION ? params.dense(HistoryTower.ATTENTION_VECTOR) : null;
    int[] counts = new int[m];
    float[] gathered = new float[m * length * dim];
    float[] weights = attention != null ? new float[m * length] : null;
    double[] logits = new double[length];
    for (int b = 0; b < m; b++) {
      int out = b * dim;
      int count = 0;
      for (int l = 0; l < length; l++) {
        int item = history[b * length + l];
        if (item < 0) {
          continue;
        }
        if (item >= numItems) {
          throw new IllegalArgumentException("batch row " + b + ": history position " + l + " holds item index "
              + item + ", outside the catalog [0, " + numItems + ")");
        }
        table.readRow(item, gathered, (b * length + l) * dim);
        count++;
      }
      counts[b] = count;
      if (count == 0) {
        System.arraycopy(empty, 0, pooled, out, dim);
        continue;
      }
      java.util.Arrays.fill(pooled, out, out + dim, 0f);
      if (attention == null) {
        float inv = 1f / count;
        for (int l = 0; l < length; l++) {
          if (history[b * length + l] >= 0) {
            int e = (b * length + l) * dim;
            for (int k = 0; k < dim; k++) {
              pooled[out + k] += gathered[e + k] * inv;
            }
          }
        }
      } else {
        double max = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < length; l++) {
          if (history[b * length + l] >= 0) {
            int e = (b * length + l) * dim;
            double s = 0.0;
            for (int k = 0; k < dim; k++) {
              s += (double) attention[k] * gathered[e + k];
            }
            logits[l] = s;
            max = Math.max(max, s);
          }
        }
        double sum = 0.0;
        for (int l = 0; l < length; l++) {
          if (history[b * length + l] >= 0) {
            logits[l] = Math.exp(logits[l] - max);
            sum += logits[l];
          }
        }
        for (int l = 0; l < length; l++) {
          if (history[b * length + l] >= 0) {
            float w = (float) (logits[l] / sum);
            weights[b * length + l] = w;
            int e = (b * length + l) * dim;
            for (int k = 0; k < dim; k++) {
              pooled[out + k] += w * gathered[e + k];
            }
          }
        }
      }
    }
    return new Cache(history, m, counts, gathered, weights);
  }

  /**
   * Chains dPooled (m x dim) to the history embedding rows (added to {@code rows}), the empty-history
   * vector and the attention vector (added to the given arrays; gradAttention may be null for MEAN).
   */
  void backward(TensorStore params, Cache cache, float[] dPooled, SparseRowsBuilder rows,
                float[] gradEmpty, float[] gradAttention) {
    float[] attention = pooling == HistoryPooling.ATTENTION ? params.dense(HistoryTower.ATTENTION_VECTOR) : null;
    int[] history = cache.history;
    float[] gathered = cache.gathered;
    double[] dWeights = new double[length];
    for (int b = 0; b < cache.m; b++) {
      int g = b * dim;
      int count = cache.counts[b];
      if (count == 0) {
        for (int k = 0; k < dim; k++) {
          gradEmpty[k] += dPooled[g + k];
        }
        continue;
      }
      if (attention == null) {
        float inv = 1f / count;
        for (int l = 0; l < length; l++) {
          int item = history[b * length + l];
          if (item >= 0) {
            rows.add(item, dPooled, g, inv);
          }
        }
        continue;
      }
      // h = sum_l w_l e_l, w = softmax(s), s_l = <a, e_l>:
      // dw_l = <dh, e_l>; ds_l = w_l (dw_l - sum_k w_k dw_k); de_l = w_l dh + ds_l a; da = sum_l ds_l e_l.
      double mean = 0.0;
      for (int l = 0; l < length; l++) {
        if (history[b * length + l] >= 0) {
          int e = (b * length + l) * dim;
          double dw = 0.0;
          for (int k = 0; k < dim; k++) {
            dw += (double) dPooled[g + k] * gathered[e + k];
          }
          dWeights[l] = dw;
          mean += cache.weights[b * length + l] * dw;
        }
      }
      for (int l = 0; l < length; l++) {
        int item = history[b * length + l];
        if (item < 0) {
          continue;
        }
        float w = cache.weights[b * length + l];
        float ds = (float) (w * (dWeights[l] - mean));
        rows.add(item, dPooled, g, w);
        rows.add(item, attention, 0, ds);
        int e = (b * length + l) * dim;
        for (int k = 0; k < dim; k++) {
          gradAttention[k] += ds * gathered[e + k];
        }
      }
    }
  }
}
