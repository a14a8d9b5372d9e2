package dev.logq.common.model.sequence;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A SASRec-style causal self-attention encoder over item sequences (issue 11).
 *
 * <p>Input: B sequences of L item indices, {@code items[b * L + t]}, -1 for padding (padding at the front, the
 * most recent item at t = L - 1). Positions are absolute slots of the window: the most recent item always sits
 * at slot L - 1.
 * <pre>
 *   x0[b,t]  = Dropout( sqrt(d) * E[items[b,t]] + P[t] )        (0 at padding slots)
 *   block n: y = x + Dropout( Wo Attn(LN1(x)) + bo )              causal, H heads, padding keys masked
 *            z = y + Dropout( W2 ReLU(W1 LN2(y) + b1) + b2 )
 *   out[b,t] = LNf(x_N[b,t])                                     (0 at padding slots)
 * </pre>
 * E is the embedding table {@code itemTable} (its name is given, so it can be the item tower's table or a
 * separate one); everything else is a dense tensor of the store under {@code prefix}:
 * <pre>
 *   prefix.position                      [L x d]
 *   prefix.block.n.ln1.gamma / .beta     [d]          (initial 1 / 0)
 *   prefix.block.n.attn.{q,k,v,o}.weight [d x d]      (out x in, as torch.nn.Linear; LeCun normal)
 *   prefix.block.n.attn.{q,k,v,o}.bias   [d]          (0)
 *   prefix.block.n.ln2.gamma / .beta     [d]
 *   prefix.block.n.ffn.1.weight          [hidden x d] (He normal), prefix.block.n.ffn.1.bias [hidden]
 *   prefix.block.n.ffn.2.weight          [d x hidden] (LeCun normal), prefix.block.n.ffn.2.bias [d]
 *   prefix.final.gamma / .beta           [d]
 * </pre>
 * The feed-forward activation is ReLU, as in SASRec. Initial values are pure functions of (seed, tensor name,
 * position) ({@link TableInit}). Dropout masks come from the {@link SplittableRandom} given to {@link #forward}
 * (null: no dropout, i.e. inference), drawn in a fixed order (embedding, then per block attention then FFN, each
 * element in index order), so one step is a deterministic function of parameters, items and generator state.
 *
 * <p>Every output row at position t depends only on the items at positions {@code <= t} of its own sequence
 * (causality and batch independence hold bit for bit: every kernel computes each output row from its own inputs
 * in a fixed order). Padding slots output 0 and pass no gradient.
 *
 * <p>Memory of a step: about (12 + 2 hidden / d) B*L*d + B*H*L*L floats per block (the activations the backward
 * pass needs). Not thread-safe per call; the encoder object itself holds no mutable state.
 */
public final class CausalTransformerEncoder implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String prefix;
  private final String itemTable;
  private final int length;
  private final int dim;
  private final int blocks;
  private final int heads;
  private final int hidden;
  private final double dropout;
  private final Gemm.Kind kernel;
  private final float embedScale;

  /** The matrix-product backend the encoder uses in this JVM, for the logs ({@code -Dlogq.sequenceBlas}). */
  public static String kernelDescription() {
    Gemm.Kind kind = Gemm.defaultKind();
    switch (kind) {
      case NETLIB:
        return "native BLAS through netlib (" + NetlibGemm.implementation() + "; bits depend on its thread count)";
      case MATRICES:
        return "JVM kernels (Matrices)";
      default:
        return "JVM kernels (" + dev.logq.common.linalg.FusedMatrices.describe() + ")";
    }
  }

  public CausalTransformerEncoder(String prefix, String itemTable, int length, int dim, int blocks, int heads,
                                  int hidden, double dropout) {
    this(prefix, itemTable, length, dim, blocks, heads, hidden, dropout, Gemm.defaultKind());
  }

  CausalTransformerEncoder(String prefix, String itemTable, int length, int dim, int blocks, int heads,
                           int hidden, double dropout, Gemm.Kind kernel) {
    if (length < 1 || dim < 1 || blocks < 0 || heads < 1 || hidden < 1) {
      throw new IllegalArgumentException("sequence encoder needs length, dim, heads, hidden >= 1 and blocks >= 0, got L="
          + length + " d=" + dim + " blocks=" + blocks + " heads=" + heads + " hidden=" + hidden);
    }
    if (dim % heads != 0) {
      throw new IllegalArgumentException("dim " + dim + " must be a multiple of heads " + heads);
    }
    if (!(dropout >= 0.0 && dropout < 1.0)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }
    this.prefix = prefix;
    this.itemTable = itemTable;
    this.length = length;
    this.dim = dim;
    this.blocks = blocks;
    this.heads = heads;
    this.hidden = hidden;
    this.dropout = dropout;
    this.kernel = kernel;
    this.embedScale = (float) Math.sqrt(dim);
  }

  /** The same encoder on another GEMM backend (same parameters, same math; bits may differ). */
  CausalTransformerEncoder withKernel(Gemm.Kind kind) {
    return new CausalTransformerEncoder(prefix, itemTable, length, dim, blocks, heads, hidden, dropout, kind);
  }

  public int length() {
    return length;
  }

  public int dim() {
    return dim;
  }

  public String itemTable() {
    return itemTable;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Names, shapes, initial values

  public String positionName() {
    return prefix + ".position";
  }

  String blockName(int n, String tensor) {
    return prefix + ".block." + n + "." + tensor;
  }

  public String finalGammaName() {
    return prefix + ".final.gamma";
  }

  public String finalBetaName() {
    return prefix + ".final.beta";
  }

  private static final String[] PROJECTIONS = {"q", "k", "v", "o"};

  /** Every dense tensor name with its length, in a fixed order. */
  public List<Object[]> denseShapes() {
    List<Object[]> shapes = new ArrayList<>();
    shapes.add(new Object[] {positionName(), length * dim});
    for (int n = 0; n < blocks; n++) {
      shapes.add(new Object[] {blockName(n, "ln1.gamma"), dim});
      shapes.add(new Object[] {blockName(n, "ln1.beta"), dim});
      for (String p : PROJECTIONS) {
        shapes.add(new Object[] {blockName(n, "attn." + p + ".weight"), dim * dim});
        shapes.add(new Object[] {blockName(n, "attn." + p + ".bias"), dim});
      }
      shapes.add(new Object[] {blockName(n, "ln2.gamma"), dim});
      shapes.add(new Object[] {blockName(n, "ln2.beta"), dim});
      shapes.add(new Object[] {blockName(n, "ffn.1.weight"), hidden * dim});
      shapes.add(new Object[] {blockName(n, "ffn.1.bias"), hidden});
      shapes.add(new Object[] {blockName(n, "ffn.2.weight"), dim * hidden});
      shapes.add(new Object[] {blockName(n, "ffn.2.bias"), dim});
    }
    shapes.add(new Object[] {finalGammaName(), dim});
    shapes.add(new Object[] {finalBetaName(), dim});
    return shapes;
  }

  /**
   * Adds the encoder's dense tensors with their initial values: positions N(0, 2 / (L + d)) (Xavier normal, as
   * SASRec's reference code), attention projections and the FFN output LeCun normal (std sqrt(1 / in)), the FFN
   * input layer He normal (std sqrt(2 / d), it feeds a ReLU), biases 0, LayerNorm gains 1 and shifts 0. When the
   * store has no table {@code itemTable} yet, it is added too ({@code numItems} x d, N(0, 1 / d): with the
   * sqrt(d) input scale the scaled rows start with unit variance per coordinate).
   */
  public void addInitial(TensorStore store, long seed, int numItems) {
    if (!store.hasTable(itemTable)) {
      store.addTable(itemTable, numItems, dim, TableInit.gaussian(seed, Math.sqrt(1.0 / dim)));
    }
    for (Object[] shape : denseShapes()) {
      String name = (String) shape[0];
      int len = (Integer) shape[1];
      store.putDense(name, initial(seed, name, len));
    }
  }

  private float[] initial(long seed, String name, int len) {
    if (name.endsWith(".bias") || name.endsWith(".beta")) {
      return new float[len];
    }
    if (name.endsWith(".gamma")) {
      float[] ones = new float[len];
      java.util.Arrays.fill(ones, 1f);
      return ones;
    }
    double std;
    if (name.equals(positionName())) {
      std = Math.sqrt(2.0 / (length + dim));
    } else if (name.endsWith("ffn.1.weight")) {
      std = Math.sqrt(2.0 / dim);
    } else if (name.endsWith("ffn.2.weight")) {
      std = Math.sqrt(1.0 / hidden);
    } else {
      std = Math.sqrt(1.0 / dim);
    }
    return TableInit.gaussian(seed, std).newDense(name, len);
  }

  /** Fails with the tensor's name when a tensor is missing or has the wrong size. */
  public void checkShapes(TensorStore store) {
    EmbeddingTable table = store.table(itemTable);
    if (table.dim() != dim) {
      throw new IllegalArgumentException("item table '" + itemTable + "' has dim " + table.dim()
          + "; the sequence encoder needs " + dim);
    }
    for (Object[] shape : denseShapes()) {
      int actual = store.dense((String) shape[0]).length;
      if (actual != (Integer) shape[1]) {
        throw new IllegalArgumentException("parameter '" + shape[0] + "' has " + actual + " values; the sequence encoder needs "
            + shape[1]);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Forward

  /** One block's saved activations. */
  static final class BlockCache {
    float[] x;
    float[] mean1;
    float[] rstd1;
    float[] a1;
    float[] q;
    float[] k;
    float[] v;
    float[] probs;
    float[] ctx;
    float[] mask1;
    float[] y;
    float[] mean2;
    float[] rstd2;
    float[] a2;
    float[] h1;
    float[] mask2;
  }

  /** What {@link #backward} needs from {@link #forward}. */
  public static final class Cache {
    final int batch;
    final int[] items;
    final boolean[] valid;
    final float[] embMask;
    final BlockCache[] blocks;
    /** Input of the final LayerNorm. */
    final float[] last;
    final float[] meanF;
    final float[] rstdF;

    Cache(int batch, int[] items, boolean[] valid, float[] embMask, BlockCache[] blocks, float[] last,
          float[] meanF, float[] rstdF) {
      this.batch = batch;
      this.items = items;
      this.valid = valid;
      this.embMask = embMask;
      this.blocks = blocks;
      this.last = last;
      this.meanF = meanF;
      this.rstdF = rstdF;
    }

    public int batch() {
      return batch;
    }
  }

  /**
   * Encodes {@code batch} sequences ({@code items}, B*L entries) into {@code out} [B*L x d]: the hidden state at
   * every position (0 at padding). {@code dropoutRng} null means no dropout (inference).
   */
  public Cache forward(TensorStore params, int[] items, int batch, SplittableRandom dropoutRng, float[] out) {
    int L = length;
    int d = dim;
    int m = batch * L;
    if (items.length < m) {
      throw new IllegalArgumentException("items has " + items.length + " entries; " + batch + " sequences x L "
          + L + " needs " + m);
    }
    if (out.length < m * d) {
      throw new IllegalArgumentException("out has " + out.length + " entries, needs " + m * d);
    }
    EmbeddingTable table = params.table(itemTable);
    int numItems = table.rows();
    boolean[] valid = new boolean[m];
    float[] pos = params.dense(positionName());
    float[] x = new float[m * d];
    for (int r = 0; r < m; r++) {
      int item = items[r];
      if (item < -1 || item >= numItems) {
        throw new IllegalArgumentException("sequence " + r / L + " position " + r % L + " holds item index " + item
            + ", outside the catalog [0, " + numItems + ") (-1 is padding)");
      }
      if (item < 0) {
        continue;
      }
      valid[r] = true;
      int base = r * d;
      table.readRow(item, x, base);
      int p = (r % L) * d;
      for (int k = 0; k < d; k++) {
        x[base + k] = x[base + k] * embedScale + pos[p + k];
      }
    }
    float[] embMask = dropoutMask(dropoutRng, m * d);
    Dropout.apply(x, embMask, m * d);

    Gemm gemm = Gemm.create(kernel);
    CausalAttention attention = new CausalAttention(batch, L, d, heads);
    BlockCache[] caches = new BlockCache[blocks];
    for (int n = 0; n < blocks; n++) {
      BlockCache c = new BlockCache();
      caches[n] = c;
      c.x = x;
      c.mean1 = new float[m];
      c.rstd1 = new float[m];
      c.a1 = new float[m * d];
      LayerNorm.forward(x, params.dense(blockName(n, "ln1.gamma")), params.dense(blockName(n, "ln1.beta")), c.a1,
          c.mean1, c.rstd1, m, d);
      c.q = new float[m * d];
      c.k = new float[m * d];
      c.v = new float[m * d];
      Linear.forward(gemm, c.a1, w(params, n, "attn.q"), b(params, n, "attn.q"), c.q, m, d, d, L);
      Linear.forward(gemm, c.a1, w(params, n, "attn.k"), b(params, n, "attn.k"), c.k, m, d, d, L);
      Linear.forward(gemm, c.a1, w(params, n, "attn.v"), b(params, n, "attn.v"), c.v, m, d, d, L);
      c.probs = new float[attention.probsLength()];
      c.ctx = new float[m * d];
      attention.forward(gemm, c.q, c.k, c.v, valid, c.probs, c.ctx);
      float[] y = new float[m * d];
      Linear.forward(gemm, c.ctx, w(params, n, "attn.o"), b(params, n, "attn.o"), y, m, d, d, L);
      c.mask1 = dropoutMask(dropoutRng, m * d);
      Dropout.apply(y, c.mask1, m * d);
      for (int i = 0; i < m * d; i++) {
        y[i] += x[i];
      }
      c.y = y;
      c.mean2 = new float[m];
      c.rstd2 = new float[m];
      c.a2 = new float[m * d];
      LayerNorm.forward(y, params.dense(blockName(n, "ln2.gamma")), params.dense(blockName(n, "ln2.beta")), c.a2,
          c.mean2, c.rstd2, m, d);
      c.h1 = new float[m * hidden];
      Linear.forward(gemm, c.a2, w(params, n, "ffn.1"), b(params, n, "ffn.1"), c.h1, m, d, hidden, L);
      relu(c.h1, m * hidden);
      float[] z = new float[m * d];
      Linear.forward(gemm, c.h1, w(params, n, "ffn.2"), b(params, n, "ffn.2"), z, m, hidden, d, L);
      c.mask2 = dropoutMask(dropoutRng, m * d);
      Dropout.apply(z, c.mask2, m * d);
      for (int i = 0; i < m * d; i++) {
        z[i] += y[i];
      }
      x = z;
    }
    float[] meanF = new float[m];
    float[] rstdF = new float[m];
    LayerNorm.forward(x, params.dense(finalGammaName()), params.dense(finalBetaName()), out, meanF, rstdF, m, d);
    for (int r = 0; r < m; r++) {
      if (!valid[r]) {
        java.util.Arrays.fill(out, r * d, (r + 1) * d, 0f);
      }
    }
    return new Cache(batch, items, valid, embMask, caches, x, meanF, rstdF);
  }

  /**
   * Inference: the hidden state at the last slot (L - 1, the most recent item) of each of the {@code batch}
   * sequences, [batch x d], out of {@link #forward}'s output. A sequence whose last slot is padding (no item
   * at all, with front padding) gets 0.
   */
  public float[] lastPositions(float[] out, int batch) {
    float[] last = new float[batch * dim];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(out, ((b + 1) * length - 1) * dim, last, b * dim, dim);
    }
    return last;
  }

  /**
   * x = max(x, +0) in place. Branch-free (Math.max, which C2 vectorises): about half the hidden units are negative,
   * in no predictable pattern, and the branchy loop cost about 6 % of a step at L 50 in mispredictions. -0 becomes
   * +0, which {@link #reluBackward} relies on.
   */
  static void relu(float[] x, int n) {
    for (int i = 0; i < n; i++) {
      x[i] = Math.max(x[i], 0f);
    }
  }

  /**
   * dH = 0 where the unit was off (its output h is +0), unchanged where it was on (h &gt; 0 or NaN): branch-free, the
   * bits of dH kept or cleared by a mask that is all ones exactly when h's bits are positive as an int.
   */
  static void reluBackward(float[] h, float[] dH, int n) {
    for (int i = 0; i < n; i++) {
      int on = -Float.floatToRawIntBits(h[i]) >> 31;
      dH[i] = Float.intBitsToFloat(Float.floatToRawIntBits(dH[i]) & on);
    }
  }

  private float[] dropoutMask(SplittableRandom rng, int n) {
    return Dropout.mask(rng, dropout, n);
  }

  private float[] w(TensorStore params, int n, String layer) {
    return params.dense(blockName(n, layer + ".weight"));
  }

  private float[] b(TensorStore params, int n, String layer) {
    return params.dense(blockName(n, layer + ".bias"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Backward

  /**
   * Back-propagates dOut [B*L x d] (rows at padding are ignored). The item table's gradient rows (only the items
   * the batch names; sqrt(d) * dx0 per position, added in position order) go to {@code itemRows}, so a caller
   * whose item tower shares the table can add its own rows to the same builder; every dense tensor's gradient is
   * added to {@code gradOut} (created there when absent).
   *
   * @return dLoss/d(scaled item embedding + position), [B*L x d], before the embedding dropout mask: the
   *     gradient with respect to the encoder's input vectors
   */
  public float[] backward(TensorStore params, Cache cache, float[] dOut, SparseRowsBuilder itemRows,
                          TensorPatch gradOut) {
    int L = length;
    int d = dim;
    int m = cache.batch * L;
    boolean[] valid = cache.valid;
    Gemm gemm = Gemm.create(kernel);
    CausalAttention attention = new CausalAttention(cache.batch, L, d, heads);

    float[] dOutMasked = new float[m * d];
    for (int r = 0; r < m; r++) {
      if (valid[r]) {
        System.arraycopy(dOut, r * d, dOutMasked, r * d, d);
      }
    }
    float[] dx = new float[m * d];
    LayerNorm.backward(dOutMasked, cache.last, cache.meanF, cache.rstdF, params.dense(finalGammaName()), dx,
        grad(gradOut, finalGammaName(), d), grad(gradOut, finalBetaName(), d), m, d);

    // Scratch shared by the blocks.
    float[] dBranch = new float[m * d];
    float[] dA = new float[m * d];
    float[] dH = new float[m * hidden];
    float[] dq = new float[m * d];
    float[] dk = new float[m * d];
    float[] dv = new float[m * d];
    float[] dctx = new float[m * d];
    for (int n = blocks - 1; n >= 0; n--) {
      BlockCache c = cache.blocks[n];
      // z = y + mask2 * FFN(LN2(y)): dy = dz + LN2^T(FFN^T(mask2 * dz)).
      System.arraycopy(dx, 0, dBranch, 0, m * d);
      Dropout.apply(dBranch, c.mask2, m * d);
      java.util.Arrays.fill(dH, 0f);
      Linear.backward(gemm, dBranch, c.h1, w(params, n, "ffn.2"), dH, gw(gradOut, n, "ffn.2", d * hidden),
          gb(gradOut, n, "ffn.2", d), m, hidden, d, L);
      reluBackward(c.h1, dH, m * hidden);
      java.util.Arrays.fill(dA, 0f);
      Linear.backward(gemm, dH, c.a2, w(params, n, "ffn.1"), dA, gw(gradOut, n, "ffn.1", hidden * d),
          gb(gradOut, n, "ffn.1", hidden), m, d, hidden, L);
      LayerNorm.backward(dA, c.y, c.mean2, c.rstd2, params.dense(blockName(n, "ln2.gamma")), dx,
          grad(gradOut, blockName(n, "ln2.gamma"), d), grad(gradOut, blockName(n, "ln2.beta"), d), m, d);
      // dx now holds dy. y = x + mask1 * (Wo Attn(LN1(x)) + bo).
      System.arraycopy(dx, 0, dBranch, 0, m * d);
      Dropout.apply(dBranch, c.mask1, m * d);
      java.util.Arrays.fill(dctx, 0f);
      Linear.backward(gemm, dBranch, c.ctx, w(params, n, "attn.o"), dctx, gw(gradOut, n, "attn.o", d * d),
          gb(gradOut, n, "attn.o", d), m, d, d, L);
      java.util.Arrays.fill(dq, 0f);
      java.util.Arrays.fill(dk, 0f);
      java.util.Arrays.fill(dv, 0f);
      attention.backward(gemm, c.q, c.k, c.v, c.probs, dctx, dq, dk, dv);
      java.util.Arrays.fill(dA, 0f);
      Linear.backward(gemm, dq, c.a1, w(params, n, "attn.q"), dA, gw(gradOut, n, "attn.q", d * d),
          gb(gradOut, n, "attn.q", d), m, d, d, L);
      Linear.backward(gemm, dk, c.a1, w(params, n, "attn.k"), dA, gw(gradOut, n, "attn.k", d * d),
          gb(gradOut, n, "attn.k", d), m, d, d, L);
      Linear.backward(gemm, dv, c.a1, w(params, n, "attn.v"), dA, gw(gradOut, n, "attn.v", d * d),
          gb(gradOut, n, "attn.v", d), m, d, d, L);
      LayerNorm.backward(dA, c.x, c.mean1, c.rstd1, params.dense(blockName(n, "ln1.gamma")), dx,
          grad(gradOut, blockName(n, "ln1.gamma"), d), grad(gradOut, blockName(n, "ln1.beta"), d), m, d);
    }
    // Embedding: x0 = mask0 * (sqrt(d) E[item] + P[t]) at valid slots.
    Dropout.apply(dx, cache.embMask, m * d);
    float[] dPos = grad(gradOut, positionName(), L * d);
    for (int r = 0; r < m; r++) {
      if (!valid[r]) {
        java.util.Arrays.fill(dx, r * d, (r + 1) * d, 0f);
        continue;
      }
      itemRows.add(cache.items[r], dx, r * d, embedScale);
      int p = (r % L) * d;
      for (int k = 0; k < d; k++) {
        dPos[p + k] += dx[r * d + k];
      }
    }
    return dx;
  }

  private float[] gw(TensorPatch patch, int n, String layer, int len) {
    return grad(patch, blockName(n, layer + ".weight"), len);
  }

  private float[] gb(TensorPatch patch, int n, String layer, int len) {
    return grad(patch, blockName(n, layer + ".bias"), len);
  }

  private static float[] grad(TensorPatch patch, String name, int len) {
    float[] g = patch.dense(name);
    if (g == null) {
      g = new float[len];
      patch.putDense(name, g);
    }
    return g;
  }
}
