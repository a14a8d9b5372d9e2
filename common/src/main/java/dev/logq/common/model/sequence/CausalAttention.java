package dev.logq.common.model.sequence;

import dev.logq.common.linalg.Exp;
import dev.logq.common.linalg.FusedMatrices;

/**
 * Masked scaled dot-product attention over B sequences of length L with H heads (the projections are
 * {@link Linear} layers outside). q, k, v and the context are [B*L x d] row-major; head h owns the columns
 * [h*dh, (h+1)*dh), dh = d / H. Query t of a sequence attends to the keys j <= t whose position holds an item
 * ({@code valid}); the weights are softmax_j(q_t . k_j / sqrt(dh)) over those keys and exactly 0 elsewhere.
 * A query with no such key (a padding position before the sequence's first item) gets all-zero weights, a zero
 * context row and, in the backward pass, zero gradients: defined, never NaN.
 *
 * <p>Causal blocks: with a backend whose elements never depend on the product's shape
 * ({@link Gemm#rowsIndependentOfShape}, the default fused kernels) the products run on blocks of {@value #BLOCK}
 * query rows against only the keys up to the block's last row, skipping about a third of the work at L = 50 and
 * nearly half at L = 200 (the entries above the diagonal are zero weights or are zeroed). An element computed
 * gets the same chain of fmas as in the full product, minus terms whose weight is exactly 0, which leave an fma
 * chain's value unchanged: the same bits as the full products (LayerGradientTest compares both paths).
 *
 * <p>Memory: the weights P, B*H*L*L floats, are kept for the backward pass; scratch is a few L x dh and one
 * L x L buffer per call. The softmax is computed in double per row (max subtracted) and rounded to float.
 */
final class CausalAttention {

  private final int batch;
  private final int length;
  private final int dim;
  private final int heads;
  private final int headDim;
  private final float scale;
  /** Query rows per causal block (a multiple of the fused kernels' 4-row tile). */
  static final int BLOCK = 16;
  private final boolean causalBlocks;

  CausalAttention(int batch, int length, int dim, int heads) {
    this(batch, length, dim, heads, true);
  }

  /** {@code causalBlocks} false keeps the full L x L products on every backend (for the comparison test). */
  CausalAttention(int batch, int length, int dim, int heads, boolean causalBlocks) {
    this.causalBlocks = causalBlocks;
    if (heads < 1 || dim % heads != 0) {
      throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
    }
    this.batch = batch;
    this.length = length;
    this.dim = dim;
    this.heads = heads;
    this.headDim = dim / heads;
    this.scale = (float) (1.0 / Math.sqrt(headDim));
  }

  int probsLength() {
    return batch * heads * length * length;
  }

  /** Copies head h of sequence b (L x dh) out of a [B*L x d] matrix. */
  private void gather(float[] x, int b, int h, float[] dst) {
    int L = length;
    for (int t = 0; t < L; t++) {
      System.arraycopy(x, (b * L + t) * dim + h * headDim, dst, t * headDim, headDim);
    }
  }

  /** Writes (overwrites) head h of sequence b (L x dh) into a [B*L x d] matrix. */
  private void scatter(float[] src, int b, int h, float[] x) {
    int L = length;
    for (int t = 0; t < L; t++) {
      System.arraycopy(src, t * headDim, x, (b * L + t) * dim + h * headDim, headDim);
    }
  }

  /** Fills probs [B*H*L*L] and ctx [B*L x d]. */
  void forward(Gemm gemm, float[] q, float[] k, float[] v, boolean[] valid, float[] probs, float[] ctx) {
    int L = length;
    int dh = headDim;
    boolean direct = heads == 1;
    float[] qh = direct ? null : new float[L * dh];
    float[] kh = direct ? null : new float[L * dh];
    float[] vh = direct ? null : new float[L * dh];
    float[] oh = new float[L * dh];
    double[] row = new double[L];
    for (int b = 0; b < batch; b++) {
      int seq = b * L * dim;
      for (int h = 0; h < heads; h++) {
        int p0 = (b * heads + h) * L * L;
        float[] qa = q;
        float[] ka = k;
        float[] va = v;
        int off = seq;
        if (!direct) {
          gather(q, b, h, qh);
          gather(k, b, h, kh);
          gather(v, b, h, vh);
          qa = qh;
          ka = kh;
          va = vh;
          off = 0;
        }
        int ld = direct ? dim : dh;
        boolean blocks = causalBlocks && gemm.rowsIndependentOfShape();
        if (blocks) {
          for (int r0 = 0; r0 < L; r0 += BLOCK) {
            int r1 = Math.min(L, r0 + BLOCK);
            FusedMatrices.multiplyTransposed(qa, off + r0 * ld, ld, ka, off, ld, probs, p0 + r0 * L, L, r1 - r0, r1,
                dh);
          }
        } else {
          gemm.abT(qa, off, ka, off, probs, p0, L, L, dh);
        }
        for (int t = 0; t < L; t++) {
          softmaxRow(probs, p0 + t * L, t, valid, b * L, row);
        }
        java.util.Arrays.fill(oh, 0f);
        if (blocks) {
          for (int r0 = 0; r0 < L; r0 += BLOCK) {
            int r1 = Math.min(L, r0 + BLOCK);
            FusedMatrices.multiplyAdd(probs, p0 + r0 * L, L, va, off, ld, oh, r0 * dh, dh, r1 - r0, dh, r1);
          }
        } else {
          gemm.abAdd(probs, p0, va, off, oh, 0, L, dh, L);
        }
        scatter(oh, b, h, ctx);
      }
    }
  }

  /** Row t of P: scaled scores of the allowed keys j <= t, softmax in double; 0 at every other key. */
  private void softmaxRow(float[] p, int base, int t, boolean[] valid, int v0, double[] row) {
    double max = Double.NEGATIVE_INFINITY;
    int n = 0;
    for (int j = 0; j <= t; j++) {
      if (valid[v0 + j]) {
        double s = (double) (p[base + j] * scale);
        row[j] = s;
        max = Math.max(max, s);
        n++;
      }
    }
    if (n == 0) {
      java.util.Arrays.fill(p, base, base + length, 0f);
      return;
    }
    for (int j = 0; j <= t; j++) {
      row[j] = valid[v0 + j] ? row[j] - max : Double.NEGATIVE_INFINITY;
    }
    Exp.exp(row, row, t + 1);
    double sum = 0.0;
    for (int j = 0; j <= t; j++) {
      if (valid[v0 + j]) {
        sum += row[j];
      } else {
        row[j] = 0.0;
      }
    }
    double inv = 1.0 / sum;
    for (int j = 0; j <= t; j++) {
      p[base + j] = (float) (row[j] * inv);
    }
    java.util.Arrays.fill(p, base + t + 1, base + length, 0f);
  }

  /**
   * Given dctx [B*L x d], adds the gradients to dq, dk, dv [B*L x d]:
   * dP = dO V^T, dV = P^T dO, dS = P * (dP - rowsum(P * dP)) / sqrt(dh), dQ = dS K, dK = dS^T Q.
   * Masked weights are 0, so masked keys get no gradient; a query with no key gets none either.
   */
  void backward(Gemm gemm, float[] q, float[] k, float[] v, float[] probs, float[] dctx,
                float[] dq, float[] dk, float[] dv) {
    int L = length;
    int dh = headDim;
    float[] qh = new float[L * dh];
    float[] kh = new float[L * dh];
    float[] vh = new float[L * dh];
    float[] doh = new float[L * dh];
    float[] dqh = new float[L * dh];
    float[] dkh = new float[L * dh];
    float[] dvh = new float[L * dh];
    float[] ds = new float[L * L];
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        int p0 = (b * heads + h) * L * L;
        gather(q, b, h, qh);
        gather(k, b, h, kh);
        gather(v, b, h, vh);
        gather(dctx, b, h, doh);
        boolean blocks = causalBlocks && gemm.rowsIndependentOfShape();
        java.util.Arrays.fill(dvh, 0f);
        if (blocks) {
          for (int r0 = 0; r0 < L; r0 += BLOCK) {
            int r1 = Math.min(L, r0 + BLOCK);
            // dP's rows r0..r1 against keys 0..r1; dV's key rows r0..r1 from queries r0..L (P[t][j] = 0 for t < j).
            FusedMatrices.multiplyTransposed(doh, r0 * dh, dh, vh, 0, dh, ds, r0 * L, L, r1 - r0, r1, dh);
            FusedMatrices.transposeMultiplyAdd(probs, p0 + r0 * L + r0, L, doh, r0 * dh, dh, dvh, r0 * dh, dh,
                L - r0, dh, r1 - r0);
          }
        } else {
          gemm.abT(doh, 0, vh, 0, ds, 0, L, L, dh);
          gemm.aTbAdd(probs, p0, doh, 0, dvh, 0, L, dh, L);
        }
        for (int t = 0; t < L; t++) {
          int base = t * L;
          double dot = 0.0;
          for (int j = 0; j <= t; j++) {
            dot += (double) probs[p0 + base + j] * ds[base + j];
          }
          float dotf = (float) dot;
          for (int j = 0; j <= t; j++) {
            ds[base + j] = probs[p0 + base + j] * (ds[base + j] - dotf) * scale;
          }
          java.util.Arrays.fill(ds, base + t + 1, base + L, 0f);
        }
        java.util.Arrays.fill(dqh, 0f);
        java.util.Arrays.fill(dkh, 0f);
        if (blocks) {
          for (int r0 = 0; r0 < L; r0 += BLOCK) {
            int r1 = Math.min(L, r0 + BLOCK);
            FusedMatrices.multiplyAdd(ds, r0 * L, L, kh, 0, dh, dqh, r0 * dh, dh, r1 - r0, dh, r1);
            FusedMatrices.transposeMultiplyAdd(ds, r0 * L + r0, L, qh, r0 * dh, dh, dkh, r0 * dh, dh, L - r0, dh,
                r1 - r0);
          }
        } else {
          gemm.abAdd(ds, 0, kh, 0, dqh, 0, L, dh, L);
          gemm.aTbAdd(ds, 0, qh, 0, dkh, 0, L, dh, L);
        }
        addScatter(dqh, b, h, dq);
        addScatter(dkh, b, h, dk);
        addScatter(dvh, b, h, dv);
      }
    }
  }

  private void addScatter(float[] src, int b, int h, float[] x) {
    int L = length;
    for (int t = 0; t < L; t++) {
      int o = (b * L + t) * dim + h * headDim;
      int s = t * headDim;
      for (int c = 0; c < headDim; c++) {
        x[o + c] += src[s + c];
      }
    }
  }
}
