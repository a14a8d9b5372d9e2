package dev.logq.common.model;

import dev.logq.common.linalg.Matrices;
import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;
import dev.logq.common.model.ModelSpec.HistoryPooling;
import dev.logq.common.model.ModelSpec.UserTower;
import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * The two-tower retrieval model: forward passes, the training step, and hand-derived backward passes.
 *
 * <p>Towers (D = {@link ModelSpec#outputDim()}):
 * <ul>
 *   <li>item: {@value #ITEM_EMBEDDING} row -> optional MLP ({@code item.mlp.*}) -> optional L2.</li>
 *   <li>user, ID: {@value #USER_EMBEDDING} row -> optional MLP ({@code user.mlp.*}) -> optional L2.</li>
 *   <li>user, HISTORY: the last L items looked up in {@value #HISTORY_EMBEDDING} (its own table: the
 *       towers share no parameters), pooled by {@link HistoryPooler} (MEAN or ATTENTION;
 *       {@value #EMPTY_HISTORY} for an empty history) -> optional MLP -> optional L2.</li>
 * </ul>
 * Score: s(u, i) = &lt;user(u), item(i)&gt; / tau.
 *
 * <p>Training step ({@link #lossAndGradient}): the loss's layout decides the candidate columns (see that
 * method), the loss turns scores into dLoss/dScores, and the gradient flows back through both towers.
 * Embedding gradients are {@link SparseRows} naming only the rows the step touched, so a step costs
 * O(batch x columns), independent of the catalog size (except the full softmax, whose columns are the
 * catalog). Dense tensors (MLP weights and biases, the attention and empty-history vectors) get dense
 * gradients, every one of them on every step (zeros where the batch did not reach them).
 *
 * <p>Stateless apart from the spec and thread-safe: every call allocates its own scratch arrays (a few
 * arrays per call, never per row), and parameters are only read.
 */
public final class TwoTowerModel implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Item tower embedding table, numItems x embeddingDim. */
  public static final String ITEM_EMBEDDING = "item.embedding";
  /** ID user tower embedding table, numUsers x embeddingDim. */
  public static final String USER_EMBEDDING = "user.embedding";
  /** HISTORY user tower's item embedding table, numItems x embeddingDim (not shared with the item tower). */
  public static final String HISTORY_EMBEDDING = "user.history.embedding";
  /** HISTORY user tower: the pooled vector of a user without history, dense [embeddingDim]. */
  public static final String EMPTY_HISTORY = "user.history.empty";
  /** HISTORY user tower with ATTENTION pooling: the attention query vector, dense [embeddingDim]. */
  public static final String ATTENTION_VECTOR = "user.history.attention";
  /** Prefix of the item tower's MLP tensors: item.mlp.&lt;layer&gt;.weight / .bias. */
  public static final String ITEM_MLP_PREFIX = "item.mlp";
  /** Prefix of the user tower's MLP tensors: user.mlp.&lt;layer&gt;.weight / .bias. */
  public static final String USER_MLP_PREFIX = "user.mlp";
  /** {@link Loss#name()} of the full softmax, whose columns are the whole catalog. */
  public static final String FULL_SOFTMAX_LOSS = "full";

  private final ModelSpec spec;
  private final Mlp itemMlp;
  private final Mlp userMlp;
  private final HistoryPooler pooler;
  private final float inverseTemperature;

  public TwoTowerModel(ModelSpec spec) {
    this.spec = spec;
    this.itemMlp = new Mlp(ITEM_MLP_PREFIX, spec.embeddingDim(), spec.itemMlp(), spec.outputDim());
    this.userMlp = new Mlp(USER_MLP_PREFIX, spec.embeddingDim(), spec.userMlp(), spec.outputDim());
    this.pooler = spec.userTower() == UserTower.HISTORY
        ? new HistoryPooler(spec.historyPooling(), spec.historyLength(), spec.embeddingDim(), spec.numItems())
        : null;
    this.inverseTemperature = (float) (1.0 / spec.temperature());
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Size of the towers' outputs. */
  public int outputDim() {
    return spec.outputDim();
  }

  /**
   * The initial parameters: Gaussian(initStd) embedding tables (lazily materialised, see
   * {@link EmbeddingTable}) and empty-history vector, He/LeCun-normal MLP weights, zero biases and a zero
   * attention vector. Every value is a pure function of the spec (seed, tensor name, position): two
   * calls, on any JVM, give bit-identical stores.
   */
  public static TensorStore initialParameters(ModelSpec spec) {
    TensorStore store = new TensorStore();
    TableInit gaussian = TableInit.gaussian(spec.seed(), spec.initStd());
    int d = spec.embeddingDim();
    store.addTable(ITEM_EMBEDDING, spec.numItems(), d, gaussian);
    if (spec.userTower() == UserTower.ID) {
      store.addTable(USER_EMBEDDING, spec.numUsers(), d, gaussian);
    } else {
      store.addTable(HISTORY_EMBEDDING, spec.numItems(), d, gaussian);
      store.putDense(EMPTY_HISTORY, gaussian.newDense(EMPTY_HISTORY, d));
      if (spec.historyPooling() == HistoryPooling.ATTENTION) {
        store.putDense(ATTENTION_VECTOR, new float[d]);
      }
    }
    TwoTowerModel model = new TwoTowerModel(spec);
    model.itemMlp.addInitial(store, spec.seed());
    model.userMlp.addInitial(store, spec.seed());
    return store;
  }

  /** Fails, naming the tensor, when {@code params} does not fit this model's spec. */
  public void checkParameters(TensorStore params) {
    int d = spec.embeddingDim();
    checkTable(params, ITEM_EMBEDDING, spec.numItems(), d, "numItems");
    if (spec.userTower() == UserTower.ID) {
      checkTable(params, USER_EMBEDDING, spec.numUsers(), d, "numUsers");
    } else {
      checkTable(params, HISTORY_EMBEDDING, spec.numItems(), d, "numItems");
      checkDense(params, EMPTY_HISTORY, d);
      if (spec.historyPooling() == HistoryPooling.ATTENTION) {
        checkDense(params, ATTENTION_VECTOR, d);
      }
    }
    itemMlp.checkShapes(params);
    userMlp.checkShapes(params);
  }

  private static void checkTable(TensorStore params, String name, int rows, int dim, String rowsKey) {
    EmbeddingTable table = params.table(name);
    if (table.rows() != rows || table.dim() != dim) {
      throw new IllegalArgumentException("parameter table '" + name + "' is " + table.rows() + " x " + table.dim()
          + " but the model spec needs " + rows + " (" + rowsKey + ") x " + dim + " (embeddingDim)");
    }
  }

  private static void checkDense(TensorStore params, String name, int length) {
    int actual = params.dense(name).length;
    if (actual != length) {
      throw new IllegalArgumentException("parameter '" + name + "' has " + actual + " values; the model spec needs "
          + length);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Training step

  /**
   * One forward and backward pass over a local batch.
   *
   * <p>Columns of the logits, by the loss's layout:
   * <ul>
   *   <li>SHARED (in-batch) without uniform negatives: one column per distinct positive item, in order of
   *       first appearance, with {@link Logits#columnCount} saying how many rows name it; row b's positive
   *       column is its item's column.</li>
   *   <li>SHARED (in-batch) with uniform negatives: columns 0..n-1 are the batch's positives (row b's
   *       positive is column b), then {@code uniformNegatives} items drawn uniformly from the catalog with
   *       {@code rng}; {@code inBatchColumns = n}.</li>
   *   <li>SHARED with the full softmax (loss name {@value #FULL_SOFTMAX_LOSS}): the columns are the whole
   *       catalog, column i = item i, row b's positive column is its item; {@code uniformNegatives} is
   *       ignored and {@code inBatchColumns = 0}.</li>
   *   <li>PER_ROW (uniform-bce): row b has 1 + uniformNegatives columns: its positive, then its own
   *       uniform draws; {@code inBatchColumns = 0}.</li>
   * </ul>
   * Uniform draws are {@code rng.nextInt(numItems)}, row by row, column by column.
   *
   * @param itemLogQ log Q(item) for the whole catalog, passed to the loss unchanged (may be null for
   *     losses that do not read it)
   * @param gradOut cleared, then filled with the gradient of the returned loss: rows of every embedding
   *     table (only the rows the step touched) and every dense tensor
   * @return the loss's mean loss over the batch rows
   */
  public double lossAndGradient(TensorStore params, Batch batch, Loss loss, double[] itemLogQ,
                                int uniformNegatives, SplittableRandom rng, TensorPatch gradOut) {
    checkParameters(params);
    if (uniformNegatives < 0) {
      throw new IllegalArgumentException("uniformNegatives must be >= 0, got " + uniformNegatives);
    }
    int n = batch.size;
    int numItems = spec.numItems();
    int[] items = batch.items;
    for (int b = 0; b < n; b++) {
      if (items[b] < 0 || items[b] >= numItems) {
        throw new IllegalArgumentException("batch row " + b + ": positive item index " + items[b]
            + " outside the catalog [0, " + numItems + ")");
      }
    }
    Logits.Layout layout = loss.layout();
    boolean full = FULL_SOFTMAX_LOSS.equals(loss.name());
    if (full && layout != Logits.Layout.SHARED) {
      throw new IllegalArgumentException("loss '" + loss.name() + "' must use the SHARED layout");
    }
    int extra = full ? 0 : uniformNegatives;
    if (extra > 0 && rng == null) {
      throw new IllegalArgumentException("uniformNegatives = " + extra + " needs a random generator (got null)");
    }

    // Candidate columns.
    int cols;
    int[] columnItem;
    int[] positiveColumn = new int[n];
    int[] columnCount = null;
    int inBatchColumns;
    if (full) {
      cols = numItems;
      columnItem = new int[cols];
      for (int i = 0; i < cols; i++) {
        columnItem[i] = i;
      }
      System.arraycopy(items, 0, positiveColumn, 0, n);
      inBatchColumns = 0;
    } else if (layout == Logits.Layout.SHARED && extra == 0) {
      // Each distinct in-batch item once, with its count: the same loss on fewer columns (Logits, "Column
      // counts"). Under Zipf-like popularity this halves the step's products and exps at B = 1024.
      columnCount = new int[n];
      columnItem = distinctItems(items, n, positiveColumn, columnCount);
      cols = columnItem.length;
      columnCount = java.util.Arrays.copyOf(columnCount, cols);
      inBatchColumns = cols;
    } else if (layout == Logits.Layout.SHARED) {
      cols = n + extra;
      columnItem = new int[cols];
      System.arraycopy(items, 0, columnItem, 0, n);
      for (int j = n; j < cols; j++) {
        columnItem[j] = rng.nextInt(numItems);
      }
      for (int b = 0; b < n; b++) {
        positiveColumn[b] = b;
      }
      inBatchColumns = n;
    } else {
      cols = 1 + extra;
      columnItem = new int[n * cols];
      for (int b = 0; b < n; b++) {
        columnItem[b * cols] = items[b];
        for (int j = 1; j < cols; j++) {
          columnItem[b * cols + j] = rng.nextInt(numItems);
        }
      }
      inBatchColumns = 0;
    }
    int itemRows = columnItem.length;

    // Forward.
    Tower user = userForward(params, batch.users, batch.history, n);
    Tower item = itemForward(params, columnItem, itemRows);
    int outDim = spec.outputDim();
    // The temperature is folded into the user side: S = (U / tau) V^T, so it costs n x D, not n x cols.
    float[] u = new float[n * outDim];
    for (int i = 0; i < u.length; i++) {
      u[i] = user.output[i] * inverseTemperature;
    }
    float[] v = item.output;
    float[] scores = new float[n * cols];
    if (layout == Logits.Layout.SHARED) {
      Matrices.multiplyTransposed(u, v, scores, n, cols, outDim);
    } else {
      for (int b = 0; b < n; b++) {
        for (int j = 0; j < cols; j++) {
          scores[b * cols + j] = dot(u, b * outDim, v, (b * cols + j) * outDim, outDim);
        }
      }
    }
    Logits logits = new Logits(layout, n, cols, scores, positiveColumn, columnItem, inBatchColumns, itemLogQ,
        numItems, columnCount);
    float[] gradScores = new float[n * cols];
    double value = loss.lossAndGradient(logits, gradScores);

    // Backward: dL/dU = (G V) / tau, dL/dV = G^T (U / tau).
    float[] gradU = new float[n * outDim];
    float[] gradV = new float[itemRows * outDim];
    if (layout == Logits.Layout.SHARED) {
      Matrices.multiplyAdd(gradScores, v, gradU, n, outDim, cols);
      Matrices.transposeMultiplyAdd(gradScores, u, gradV, n, outDim, cols);
    } else {
      for (int b = 0; b < n; b++) {
        for (int j = 0; j < cols; j++) {
          float g = gradScores[b * cols + j];
          if (g == 0f) {
            continue;
          }
          int vj = (b * cols + j) * outDim;
          int ub = b * outDim;
          for (int k = 0; k < outDim; k++) {
            gradU[ub + k] += g * v[vj + k];
            gradV[vj + k] += g * u[ub + k];
          }
        }
      }
    }
    for (int i = 0; i < gradU.length; i++) {
      gradU[i] *= inverseTemperature;
    }
    gradOut.clear();
    itemBackward(params, item, gradV, columnItem, itemRows, gradOut);
    userBackward(params, user, gradU, batch, n, gradOut);
    return value;
  }

  /**
   * The distinct items of {@code items[0..n)} in order of first appearance; {@code positiveColumn[b]} becomes
   * the position of items[b] among them and {@code count[c]} the number of rows naming distinct item c.
   */
  static int[] distinctItems(int[] items, int n, int[] positiveColumn, int[] count) {
    int capacity = Integer.highestOneBit(Math.max(2, n) * 2 - 1) << 1;
    int mask = capacity - 1;
    int[] keys = new int[capacity];
    int[] slots = new int[capacity];
    java.util.Arrays.fill(keys, -1);
    int[] distinct = new int[n];
    int m = 0;
    for (int b = 0; b < n; b++) {
      int item = items[b];
      int h = (item * 0x9E3779B9) >>> 7 & mask;
      while (keys[h] != -1 && keys[h] != item) {
        h = (h + 1) & mask;
      }
      if (keys[h] == -1) {
        keys[h] = item;
        slots[h] = m;
        distinct[m++] = item;
      }
      int column = slots[h];
      positiveColumn[b] = column;
      count[column]++;
    }
    return java.util.Arrays.copyOf(distinct, m);
  }

  private static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
    float sum = 0f;
    for (int k = 0; k < len; k++) {
      sum += a[aOff + k] * b[bOff + k];
    }
    return sum;
  }

  // ---------------------------------------------------------------------------------------------
  // Inference

  /**
   * The user tower's outputs for n users (ID tower: {@code users}; HISTORY tower: {@code history},
   * n x L): out[b * outputDim ..] for row b.
   */
  public void userEmbeddings(TensorStore params, int[] users, int[] history, int n, float[] out) {
    checkParameters(params);
    Tower tower = userForward(params, users, history, n);
    System.arraycopy(tower.output, 0, out, 0, n * spec.outputDim());
  }

  /** The item tower's outputs for n items: out[i * outputDim ..] for items[i]. */
  public void itemEmbeddings(TensorStore params, int[] items, int n, float[] out) {
    checkParameters(params);
    for (int i = 0; i < n; i++) {
      if (items[i] < 0 || items[i] >= spec.numItems()) {
        throw new IllegalArgumentException("item index " + items[i] + " at position " + i
            + " outside the catalog [0, " + spec.numItems() + ")");
      }
    }
    Tower tower = itemForward(params, items, n);
    System.arraycopy(tower.output, 0, out, 0, n * spec.outputDim());
  }

  // ---------------------------------------------------------------------------------------------
  // Towers

  /** Forward state of one tower over m rows. */
  private static final class Tower {
    final int m;
    final float[][] activations;
    final float[] output;
    /** L2 only: clamped norms of the pre-normalisation outputs. */
    final float[] norms;
    /** HISTORY user tower only. */
    HistoryPooler.Cache pooling;

    Tower(int m, float[][] activations, float[] output, float[] norms) {
      this.m = m;
      this.activations = activations;
      this.output = output;
      this.norms = norms;
    }
  }

  private Tower towerForward(Mlp mlp, TensorStore params, float[] input, int m) {
    float[][] acts = mlp.newActivations(input, m);
    mlp.forward(params, acts, m);
    float[] pre = acts[mlp.layers()];
    if (!spec.l2Normalize()) {
      return new Tower(m, acts, pre, null);
    }
    int outDim = mlp.outputDim();
    float[] out = new float[m * outDim];
    float[] norms = new float[m];
    L2Norm.forward(pre, out, norms, m, outDim);
    return new Tower(m, acts, out, norms);
  }

  /** Gradient with respect to the tower's input (its embedding rows or pooled history). */
  private float[] towerBackward(Mlp mlp, TensorStore params, Tower tower, float[] gradOutput,
                                float[][] gradWeights, float[][] gradBiases) {
    float[] gradPre = spec.l2Normalize()
        ? L2Norm.backward(tower.output, tower.norms, gradOutput, tower.m, mlp.outputDim())
        : gradOutput;
    return mlp.backward(params, tower.activations, gradPre, tower.m, gradWeights, gradBiases);
  }

  private Tower itemForward(TensorStore params, int[] items, int m) {
    int d = spec.embeddingDim();
    EmbeddingTable table = params.table(ITEM_EMBEDDING);
    float[] input = new float[m * d];
    for (int i = 0; i < m; i++) {
      table.readRow(items[i], input, i * d);
    }
    return towerForward(itemMlp, params, input, m);
  }

  private Tower userForward(TensorStore params, int[] users, int[] history, int n) {
    int d = spec.embeddingDim();
    float[] input = new float[n * d];
    if (spec.userTower() == UserTower.ID) {
      if (users == null) {
        throw new IllegalArgumentException("the id user tower needs the batch's user indices (got none)");
      }
      EmbeddingTable table = params.table(USER_EMBEDDING);
      for (int b = 0; b < n; b++) {
        int user = users[b];
        if (user < 0 || user >= spec.numUsers()) {
          throw new IllegalArgumentException("batch row " + b + ": user index " + user + " outside [0, "
              + spec.numUsers() + ") (the id tower cannot embed unseen users; use model.userTower = history)");
        }
        table.readRow(user, input, b * d);
      }
      return towerForward(userMlp, params, input, n);
    }
    HistoryPooler.Cache cache = pooler.forward(params, history, n, input);
    Tower tower = towerForward(userMlp, params, input, n);
    tower.pooling = cache;
    return tower;
  }

  private void itemBackward(TensorStore params, Tower tower, float[] gradOutput, int[] items, int m,
                            TensorPatch gradOut) {
    float[][] gradWeights = newWeightGradients(itemMlp);
    float[][] gradBiases = newBiasGradients(itemMlp);
    float[] gradInput = towerBackward(itemMlp, params, tower, gradOutput, gradWeights, gradBiases);
    int d = spec.embeddingDim();
    if (m == spec.numItems() && isIdentity(items, m)) {
      // Full softmax: every item once, in order; the gradient rows are the tower's input gradient.
      int[] ids = new int[m];
      for (int i = 0; i < m; i++) {
        ids[i] = i;
      }
      gradOut.putRows(ITEM_EMBEDDING, SparseRows.trusted(d, ids, java.util.Arrays.copyOf(gradInput, m * d)));
    } else {
      SparseRowsBuilder rows = new SparseRowsBuilder(d, Math.min(m, spec.numItems()));
      for (int i = 0; i < m; i++) {
        rows.add(items[i], gradInput, i * d);
      }
      gradOut.putRows(ITEM_EMBEDDING, rows.build());
    }
    putMlpGradients(itemMlp, gradWeights, gradBiases, gradOut);
  }

  private static boolean isIdentity(int[] items, int m) {
    for (int i = 0; i < m; i++) {
      if (items[i] != i) {
        return false;
      }
    }
    return true;
  }

  private void userBackward(TensorStore params, Tower tower, float[] gradOutput, Batch batch, int n,
                            TensorPatch gradOut) {
    float[][] gradWeights = newWeightGradients(userMlp);
    float[][] gradBiases = newBiasGradients(userMlp);
    float[] gradInput = towerBackward(userMlp, params, tower, gradOutput, gradWeights, gradBiases);
    int d = spec.embeddingDim();
    if (spec.userTower() == UserTower.ID) {
      SparseRowsBuilder rows = new SparseRowsBuilder(d, n);
      for (int b = 0; b < n; b++) {
        rows.add(batch.users[b], gradInput, b * d);
      }
      gradOut.putRows(USER_EMBEDDING, rows.build());
    } else {
      SparseRowsBuilder rows = new SparseRowsBuilder(d, n * spec.historyLength());
      float[] gradEmpty = new float[d];
      boolean attention = spec.historyPooling() == HistoryPooling.ATTENTION;
      float[] gradAttention = attention ? new float[d] : null;
      pooler.backward(params, tower.pooling, gradInput, rows, gradEmpty, gradAttention);
      gradOut.putRows(HISTORY_EMBEDDING, rows.build());
      gradOut.putDense(EMPTY_HISTORY, gradEmpty);
      if (attention) {
        gradOut.putDense(ATTENTION_VECTOR, gradAttention);
      }
    }
    putMlpGradients(userMlp, gradWeights, gradBiases, gradOut);
  }

  private static float[][] newWeightGradients(Mlp mlp) {
    float[][] grads = new float[mlp.layers()][];
    for (int l = 0; l < mlp.layers(); l++) {
      grads[l] = new float[mlp.size(l) * mlp.size(l + 1)];
    }
    return grads;
  }

  private static float[][] newBiasGradients(Mlp mlp) {
    float[][] grads = new float[mlp.layers()][];
    for (int l = 0; l < mlp.layers(); l++) {
      grads[l] = new float[mlp.size(l + 1)];
    }
    return grads;
  }

  private static void putMlpGradients(Mlp mlp, float[][] gradWeights, float[][] gradBiases, TensorPatch gradOut) {
    for (int l = 0; l < mlp.layers(); l++) {
      gradOut.putDense(mlp.weightName(l), gradWeights[l]);
      gradOut.putDense(mlp.biasName(l), gradBiases[l]);
    }
  }
}
