package dev.logq.common.model.sequence;

import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;
import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TowerHead;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The sequential (SASRec-style) two-tower model of issue 11, trained on every position: a test-scope, standalone
 * reference for the job's path ({@code TwoTowerModel} with {@code SequenceTower}, which {@code SequenceTowerTest}
 * checks against it) and the home of the K-sampled shared targets that the job does not offer.
 *
 * <p>Towers (d = {@link Config#dim}, D = {@link #outputDim()}):
 * <ul>
 *   <li>user: {@link CausalTransformerEncoder} over the window ({@value #ENCODER_PREFIX}.*) -> optional MLP
 *       ({@value #USER_MLP_PREFIX}.*) -> optional L2, applied to every valid position (training: each position
 *       with an item and a next item is one query row) or to the last slot (inference).</li>
 *   <li>item: a row of {@value #ITEM_EMBEDDING} -> optional MLP ({@value #ITEM_MLP_PREFIX}.*) -> optional L2.</li>
 * </ul>
 * Score s = &lt;user, item&gt; / tau. The encoder's input table is {@value #ITEM_EMBEDDING} itself when
 * {@link Config#sharedItemEmbedding} (the default) and {@value #INPUT_EMBEDDING} otherwise.
 *
 * <p><b>Shared input and output item embeddings by default</b>, as SASRec (Kang and McAuley 2018, whose ablation
 * found sharing better) and the refined-logQ authors' SASRec: one table of numItems x d instead of two (half the
 * largest tensor, half the sparse rows exchanged per step), and an item's input vector learns from every
 * position that names it as input or as target or negative, which matters for the long tail. Separate tables are
 * a setting for when input and output roles differ (e.g. an item MLP on a different space).
 *
 * <p>Tensor names are the two-tower model's for the item side (item.embedding, item.mlp.*) and user.mlp.* for
 * the user MLP, so the rest of the job (optimizers, checkpoints, item embeddings) treats them alike.
 *
 * <p>Stateless apart from the config; thread-safe (every call allocates its own scratch).
 */
public final class SequenceModel implements Serializable {

  private static final long serialVersionUID = 1L;

  /** The item tower's table (also the encoder's input table when shared), numItems x d. */
  public static final String ITEM_EMBEDDING = "item.embedding";
  /** The encoder's own input table when the embeddings are not shared, numItems x d. */
  public static final String INPUT_EMBEDDING = "user.sequence.embedding";
  /** Prefix of the encoder's dense tensors (see {@link CausalTransformerEncoder}). */
  public static final String ENCODER_PREFIX = "user.sequence";
  public static final String ITEM_MLP_PREFIX = "item.mlp";
  public static final String USER_MLP_PREFIX = "user.mlp";
  /** {@link Loss#name()} of the full softmax, whose columns are the whole catalog. */
  public static final String FULL_SOFTMAX_LOSS = "full";

  /** Hyper-parameters; build with {@link #builder()}. */
  public static final class Config implements Serializable {
    private static final long serialVersionUID = 1L;
    public final int numItems;
    public final int length;
    public final int dim;
    public final int blocks;
    public final int heads;
    public final int hidden;
    public final double dropout;
    public final int[] userMlp;
    public final int[] itemMlp;
    public final int outputDim;
    public final boolean l2Normalize;
    public final double temperature;
    public final boolean sharedItemEmbedding;
    public final long seed;

    private Config(Builder b) {
      numItems = b.numItems;
      length = b.length;
      dim = b.dim;
      blocks = b.blocks;
      heads = b.heads;
      hidden = b.hidden > 0 ? b.hidden : b.dim;
      dropout = b.dropout;
      userMlp = b.userMlp.clone();
      itemMlp = b.itemMlp.clone();
      outputDim = b.outputDim > 0 ? b.outputDim : b.dim;
      l2Normalize = b.l2Normalize;
      temperature = b.temperature;
      sharedItemEmbedding = b.sharedItemEmbedding;
      seed = b.seed;
      if (numItems < 2) {
        throw new IllegalArgumentException("sequence model: numItems must be >= 2, got " + numItems);
      }
      if (!(temperature > 0.0)) {
        throw new IllegalArgumentException("sequence model: temperature must be > 0, got " + temperature);
      }
      if (userMlp.length == 0 && outputDim != dim || itemMlp.length == 0 && outputDim != dim) {
        throw new IllegalArgumentException("sequence model: outputDim " + outputDim + " differs from dim " + dim
            + "; a tower without an MLP outputs dim (give both towers an MLP, or outputDim = dim)");
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Defaults: L 200, d 64, 2 blocks, 1 head, hidden = d, dropout 0.2, no MLPs, no L2, tau 0.1, shared tables. */
  public static final class Builder {
    private int numItems = -1;
    private int length = 200;
    private int dim = 64;
    private int blocks = 2;
    private int heads = 1;
    private int hidden = -1;
    private double dropout = 0.2;
    private int[] userMlp = new int[0];
    private int[] itemMlp = new int[0];
    private int outputDim = -1;
    private boolean l2Normalize = false;
    private double temperature = 0.1;
    private boolean sharedItemEmbedding = true;
    private long seed = 42L;

    public Builder numItems(int v) { numItems = v; return this; }
    public Builder length(int v) { length = v; return this; }
    public Builder dim(int v) { dim = v; return this; }
    public Builder blocks(int v) { blocks = v; return this; }
    public Builder heads(int v) { heads = v; return this; }
    /** FFN hidden size; default d. */
    public Builder hidden(int v) { hidden = v; return this; }
    public Builder dropout(double v) { dropout = v; return this; }
    public Builder userMlp(int... v) { userMlp = v == null ? new int[0] : v.clone(); return this; }
    public Builder itemMlp(int... v) { itemMlp = v == null ? new int[0] : v.clone(); return this; }
    /** Tower output size; default d (must be d for a tower without an MLP). */
    public Builder outputDim(int v) { outputDim = v; return this; }
    public Builder l2Normalize(boolean v) { l2Normalize = v; return this; }
    public Builder temperature(double v) { temperature = v; return this; }
    public Builder sharedItemEmbedding(boolean v) { sharedItemEmbedding = v; return this; }
    public Builder seed(long v) { seed = v; return this; }

    public Config build() {
      return new Config(this);
    }
  }

  private final Config config;
  private final CausalTransformerEncoder encoder;
  private final TowerHead userHead;
  private final TowerHead itemHead;
  private final float inverseTemperature;
  private final Gemm.Kind kernel;

  public SequenceModel(Config config) {
    this(config, Gemm.defaultKind());
  }

  SequenceModel(Config config, Gemm.Kind kernel) {
    this.config = config;
    this.kernel = kernel;
    this.encoder = new CausalTransformerEncoder(ENCODER_PREFIX, inputTable(config), config.length, config.dim,
        config.blocks, config.heads, config.hidden, config.dropout, kernel);
    this.userHead = new TowerHead(USER_MLP_PREFIX, config.dim, config.userMlp, config.outputDim, config.l2Normalize);
    this.itemHead = new TowerHead(ITEM_MLP_PREFIX, config.dim, config.itemMlp, config.outputDim, config.l2Normalize);
    this.inverseTemperature = (float) (1.0 / config.temperature);
  }

  private static String inputTable(Config c) {
    return c.sharedItemEmbedding ? ITEM_EMBEDDING : INPUT_EMBEDDING;
  }

  public Config config() {
    return config;
  }

  public CausalTransformerEncoder encoder() {
    return encoder;
  }

  public int length() {
    return config.length;
  }

  public int outputDim() {
    return config.outputDim;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Parameters

  /**
   * The initial parameters, pure functions of the config's seed: item table(s) N(0, 1/d) (with the encoder's
   * sqrt(d) input scale the encoder sees unit-variance rows), the encoder's tensors
   * ({@link CausalTransformerEncoder#addInitial}), the MLPs He / LeCun normal with zero biases.
   */
  public TensorStore initialParameters() {
    TensorStore store = new TensorStore();
    int d = config.dim;
    store.addTable(ITEM_EMBEDDING, config.numItems, d, TableInit.gaussian(config.seed, Math.sqrt(1.0 / d)));
    encoder.addInitial(store, config.seed, config.numItems);
    userHead.addInitial(store, config.seed);
    itemHead.addInitial(store, config.seed);
    return store;
  }

  /** Fails, naming the tensor, when {@code params} does not fit the config. */
  public void checkParameters(TensorStore params) {
    checkTable(params, ITEM_EMBEDDING);
    if (!config.sharedItemEmbedding) {
      checkTable(params, INPUT_EMBEDDING);
    }
    encoder.checkShapes(params);
    userHead.checkShapes(params);
    itemHead.checkShapes(params);
  }

  private void checkTable(TensorStore params, String name) {
    EmbeddingTable t = params.table(name);
    if (t.rows() != config.numItems || t.dim() != config.dim) {
      throw new IllegalArgumentException("parameter table '" + name + "' is " + t.rows() + " x " + t.dim()
          + " but the sequence model needs " + config.numItems + " (numItems) x " + config.dim + " (dim)");
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Training examples

  /**
   * The per-position targets of {@code batch} windows of L items (front padding -1): the target of slot t is the
   * item at slot t + 1, and that of the last slot is {@code nextAfterWindow[b]} (the item that followed the
   * window in the user's history; -1 when none, e.g. the window ends at the user's last training item).
   * Padding slots get -1.
   */
  public static int[] shiftedTargets(int[] items, int batch, int length, int[] nextAfterWindow) {
    int[] targets = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < length; t++) {
        int r = b * length + t;
        if (items[r] < 0) {
          targets[r] = -1;
        } else if (t < length - 1) {
          targets[r] = items[r + 1];
        } else {
          targets[r] = nextAfterWindow == null ? -1 : nextAfterWindow[b];
        }
      }
    }
    return targets;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Training step

  /**
   * One forward and backward pass over {@code batch} sequence windows.
   *
   * <p>Query rows are the positions r with {@code items[r] >= 0} and {@code targets[r] >= 0}, in position order
   * ({@link SequenceLossRows}); row r's positive is {@code targets[r]}. Candidate columns, by the loss:
   * <ul>
   *   <li>SHARED, {@code sampledTargets} = 0, no uniform negatives: one column per distinct target with its count
   *       (the batch's B*L positives are the in-batch draws of LOSSES.md, duplicates counted; another
   *       position's copy of a row's own target is an accidental hit, masked).</li>
   *   <li>SHARED, {@code sampledTargets} = 0, {@code uniformNegatives} = E > 0 (mixed): as the two-tower model,
   *       column i is row i's positive (one per row, no counts), then E items drawn uniformly, shared by every
   *       row. The score matrix is rows x (rows + E): at B*L = 25,600 prefer a K sample.</li>
   *   <li>SHARED, {@code sampledTargets} = K > 0 (the authors' regime): K of the batch's distinct targets drawn
   *       without replacement (all of them, shuffled, when there are fewer), each ONCE (no counts), shared by
   *       every row, then the E uniform draws. Every row sees its own positive plus those K + E negatives (its
   *       own target among them is an accidental hit, masked), so a row's positive is always a column whether
   *       or not it was sampled. The loss runs once per distinct target over the rows naming it (columns:
   *       the positive, the K sample, the E draws; inBatchColumns = 1 + K); the batch loss is the mean over all
   *       rows. The score products are rows x (K + E) plus one dot per row.</li>
   *   <li>full softmax (loss name {@value #FULL_SOFTMAX_LOSS}): the whole catalog; K and E are ignored.</li>
   *   <li>PER_ROW (uniform-bce): each row its positive then its own E uniform draws; K is ignored.</li>
   * </ul>
   * Random draws, all from {@code rng} in this order: the encoder's dropout masks, the K sample (a partial
   * Fisher-Yates shuffle of the distinct targets), the uniform draws ({@code rng.nextInt(numItems)}, row by row
   * for PER_ROW). logQ is always the loss's per row's positive (refined: Q'_b(j) = c_j / (C - c_pb)).
   *
   * @param items  [batch * L] item indices, -1 padding (at the front)
   * @param targets [batch * L] the next item of each slot, -1 none ({@link #shiftedTargets})
   * @param itemLogQ log Q(item) for the whole catalog (null for losses that do not read it)
   * @param gradOut cleared, then filled with the gradient of the returned loss: sparse rows of
   *     {@value #ITEM_EMBEDDING} (input and output contributions summed when shared) and, when separate,
   *     {@value #INPUT_EMBEDDING}; every dense tensor (encoder, MLPs)
   * @return the loss's mean over the query rows (0 when the batch has none; gradients are then zero)
   */
  public double lossAndGradient(TensorStore params, int[] items, int[] targets, int batch, Loss loss,
                                double[] itemLogQ, int uniformNegatives, int sampledTargets, SplittableRandom rng,
                                TensorPatch gradOut) {
    return step(params, items, targets, batch, loss, itemLogQ, uniformNegatives, sampledTargets, rng, gradOut,
        null);
  }

  /** What a step scored, for tests: the Logits of each loss call, in call order. */
  static final class Trace {
    final List<Logits> logits = new ArrayList<>();
    SequenceLossRows rows;
    int[] sample;
  }

  double step(TensorStore params, int[] items, int[] targets, int batch, Loss loss, double[] itemLogQ,
              int uniformNegatives, int sampledTargets, SplittableRandom rng, TensorPatch gradOut, Trace trace) {
    checkParameters(params);
    if (uniformNegatives < 0 || sampledTargets < 0) {
      throw new IllegalArgumentException("uniformNegatives and sampledTargets must be >= 0, got " + uniformNegatives
          + " and " + sampledTargets);
    }
    final int numItems = config.numItems;
    final int L = config.length;
    final int d = config.dim;
    final int outDim = config.outputDim;
    final int m = batch * L;
    SequenceLossRows rows = SequenceLossRows.of(items, targets, m);
    for (int i = 0; i < rows.rows; i++) {
      if (rows.positive[i] >= numItems) {
        throw new IllegalArgumentException("sequence " + rows.position[i] / L + " position " + rows.position[i] % L
            + " has target " + rows.positive[i] + ", outside the catalog [0, " + numItems + ")");
      }
    }
    Logits.Layout layout = loss.layout();
    boolean full = FULL_SOFTMAX_LOSS.equals(loss.name());
    if (full && layout != Logits.Layout.SHARED) {
      throw new IllegalArgumentException("loss '" + loss.name() + "' must use the SHARED layout");
    }
    boolean perRow = layout == Logits.Layout.PER_ROW;
    int extra = full ? 0 : uniformNegatives;
    int k = full || perRow ? 0 : sampledTargets;
    if ((extra > 0 || k > 0) && rng == null) {
      throw new IllegalArgumentException("uniform negatives or a K sample need a random generator (got null)");
    }
    if (trace != null) {
      trace.rows = rows;
    }

    // User tower on every valid position.
    float[] hidden = new float[m * d];
    CausalTransformerEncoder.Cache cache = encoder.forward(params, items, batch, rng, hidden);
    final int n = rows.rows;
    float[] query = rows.gatherQueries(hidden, d, 1f);
    TowerHead.State user = userHead.forward(params, query, n);
    float[] u = new float[n * outDim];
    for (int i = 0; i < u.length; i++) {
      u[i] = user.output()[i] * inverseTemperature;
    }

    double value = 0.0;
    float[] gradU = new float[n * outDim];
    int[] towerItems;
    float[] gradV;
    TowerHead.State item;
    Gemm gemm = Gemm.create(kernel);
    if (n == 0) {
      towerItems = new int[0];
      item = itemHead.forward(params, new float[0], 0);
      gradV = new float[0];
    } else if (k > 0) {
      // The K sample: a partial Fisher-Yates shuffle of the distinct targets.
      int distinct = rows.cols();
      int[] order = rows.columnItem.clone();
      int kk = Math.min(k, distinct);
      for (int i = 0; i < kk; i++) {
        int j = i + rng.nextInt(distinct - i);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      int negatives = kk + extra;
      // Tower items: the sample, the uniform draws, then every distinct target (the rows' positives).
      towerItems = new int[negatives + distinct];
      System.arraycopy(order, 0, towerItems, 0, kk);
      for (int j = kk; j < negatives; j++) {
        towerItems[j] = rng.nextInt(numItems);
      }
      System.arraycopy(rows.columnItem, 0, towerItems, negatives, distinct);
      if (trace != null) {
        trace.sample = java.util.Arrays.copyOf(order, kk);
      }
      item = itemForward(params, towerItems);
      float[] v = item.output();
      gradV = new float[towerItems.length * outDim];
      float[] negScores = new float[n * negatives];
      gemm.abT(u, 0, v, 0, negScores, 0, n, negatives, outDim);
      float[] gradNeg = new float[n * negatives];
      // Rows grouped by their positive (distinct target), in order of first appearance.
      int[] groupStart = new int[distinct + 1];
      for (int i = 0; i < n; i++) {
        groupStart[rows.positiveColumn[i] + 1]++;
      }
      for (int c = 0; c < distinct; c++) {
        groupStart[c + 1] += groupStart[c];
      }
      int[] fill = groupStart.clone();
      int[] groupRows = new int[n];
      for (int i = 0; i < n; i++) {
        groupRows[fill[rows.positiveColumn[i]]++] = i;
      }
      int cols = 1 + negatives;
      int[] columnItem = new int[cols];
      System.arraycopy(towerItems, 0, columnItem, 1, negatives);
      for (int c = 0; c < distinct; c++) {
        int g = groupStart[c + 1] - groupStart[c];
        int pv = (negatives + c) * outDim;
        columnItem[0] = rows.columnItem[c];
        float[] scores = new float[g * cols];
        for (int a = 0; a < g; a++) {
          int i = groupRows[groupStart[c] + a];
          scores[a * cols] = dot(u, i * outDim, v, pv, outDim);
          System.arraycopy(negScores, i * negatives, scores, a * cols + 1, negatives);
        }
        Logits logits = new Logits(Logits.Layout.SHARED, g, cols, scores, new int[g], columnItem.clone(), 1 + kk,
            itemLogQ, numItems);
        if (trace != null) {
          trace.logits.add(logits);
        }
        float[] gs = new float[g * cols];
        double groupMean = loss.lossAndGradient(logits, gs);
        double share = (double) g / n;
        value += groupMean * share;
        float fshare = (float) share;
        for (int a = 0; a < g; a++) {
          int i = groupRows[groupStart[c] + a];
          float gp = gs[a * cols] * fshare;
          for (int x = 0; x < outDim; x++) {
            gradU[i * outDim + x] += gp * v[pv + x];
            gradV[pv + x] += gp * u[i * outDim + x];
          }
          for (int j = 0; j < negatives; j++) {
            gradNeg[i * negatives + j] = gs[a * cols + 1 + j] * fshare;
          }
        }
      }
      gemm.abAdd(gradNeg, 0, v, 0, gradU, 0, n, outDim, negatives);
      gemm.aTbAdd(gradNeg, 0, u, 0, gradV, 0, n, outDim, negatives);
    } else if (perRow) {
      int distinct = rows.cols();
      int cols = 1 + extra;
      int[] columnItem = new int[n * cols];
      towerItems = new int[distinct + n * extra];
      System.arraycopy(rows.columnItem, 0, towerItems, 0, distinct);
      for (int i = 0; i < n; i++) {
        columnItem[i * cols] = rows.positive[i];
        for (int j = 1; j < cols; j++) {
          int drawn = rng.nextInt(numItems);
          columnItem[i * cols + j] = drawn;
          towerItems[distinct + i * extra + j - 1] = drawn;
        }
      }
      item = itemForward(params, towerItems);
      float[] v = item.output();
      float[] scores = new float[n * cols];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < cols; j++) {
          scores[i * cols + j] = dot(u, i * outDim, v, perRowTower(rows, i, j, distinct, extra) * outDim, outDim);
        }
      }
      Logits logits = new Logits(Logits.Layout.PER_ROW, n, cols, scores, new int[n], columnItem, 0, itemLogQ,
          numItems);
      if (trace != null) {
        trace.logits.add(logits);
      }
      float[] gs = new float[n * cols];
      value = loss.lossAndGradient(logits, gs);
      gradV = new float[towerItems.length * outDim];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < cols; j++) {
          float g = gs[i * cols + j];
          if (g == 0f) {
            continue;
          }
          int vj = perRowTower(rows, i, j, distinct, extra) * outDim;
          for (int x = 0; x < outDim; x++) {
            gradU[i * outDim + x] += g * v[vj + x];
            gradV[vj + x] += g * u[i * outDim + x];
          }
        }
      }
    } else {
      // SHARED columns: distinct targets with counts, or the catalog, or every row's positive then uniform draws.
      int cols;
      int[] columnItem;
      int[] positiveColumn;
      int[] columnCount = null;
      int inBatch;
      int[] colTower;
      if (full) {
        cols = numItems;
        columnItem = new int[cols];
        for (int i = 0; i < cols; i++) {
          columnItem[i] = i;
        }
        towerItems = columnItem;
        colTower = null;
        positiveColumn = rows.positive.clone();
        inBatch = 0;
      } else if (extra == 0) {
        cols = rows.cols();
        columnItem = rows.columnItem;
        towerItems = columnItem;
        colTower = null;
        positiveColumn = rows.positiveColumn;
        columnCount = rows.columnCount;
        inBatch = cols;
      } else {
        int distinct = rows.cols();
        cols = n + extra;
        columnItem = new int[cols];
        System.arraycopy(rows.positive, 0, columnItem, 0, n);
        towerItems = new int[distinct + extra];
        System.arraycopy(rows.columnItem, 0, towerItems, 0, distinct);
        colTower = new int[cols];
        System.arraycopy(rows.positiveColumn, 0, colTower, 0, n);
        for (int j = n; j < cols; j++) {
          int drawn = rng.nextInt(numItems);
          columnItem[j] = drawn;
          towerItems[distinct + j - n] = drawn;
          colTower[j] = distinct + j - n;
        }
        positiveColumn = new int[n];
        for (int i = 0; i < n; i++) {
          positiveColumn[i] = i;
        }
        inBatch = n;
      }
      item = itemForward(params, towerItems);
      float[] v = colTower == null ? item.output() : gatherRows(item.output(), colTower, outDim);
      float[] scores = new float[n * cols];
      gemm.abT(u, 0, v, 0, scores, 0, n, cols, outDim);
      Logits logits = new Logits(Logits.Layout.SHARED, n, cols, scores, positiveColumn, columnItem, inBatch,
          itemLogQ, numItems, columnCount);
      if (trace != null) {
        trace.logits.add(logits);
      }
      float[] gs = new float[n * cols];
      value = loss.lossAndGradient(logits, gs);
      gemm.abAdd(gs, 0, v, 0, gradU, 0, n, outDim, cols);
      float[] gradCols = new float[cols * outDim];
      gemm.aTbAdd(gs, 0, u, 0, gradCols, 0, n, outDim, cols);
      if (colTower == null) {
        gradV = gradCols;
      } else {
        gradV = new float[towerItems.length * outDim];
        for (int j = 0; j < cols; j++) {
          int dst = colTower[j] * outDim;
          for (int x = 0; x < outDim; x++) {
            gradV[dst + x] += gradCols[j * outDim + x];
          }
        }
      }
    }

    // Backward.
    gradOut.clear();
    for (int i = 0; i < gradU.length; i++) {
      gradU[i] *= inverseTemperature;
    }
    SparseRowsBuilder itemRows = new SparseRowsBuilder(d, Math.min(numItems, towerItems.length + m));
    float[] gradItemInput = itemHead.backward(params, item, gradV, gradOut);
    for (int j = 0; j < towerItems.length; j++) {
      itemRows.add(towerItems[j], gradItemInput, j * d);
    }
    float[] gradQuery = userHead.backward(params, user, gradU, gradOut);
    float[] dHidden = new float[m * d];
    rows.scatter(gradQuery, d, 1f, dHidden);
    if (config.sharedItemEmbedding) {
      encoder.backward(params, cache, dHidden, itemRows, gradOut);
      gradOut.putRows(ITEM_EMBEDDING, itemRows.build());
    } else {
      SparseRowsBuilder inputRows = new SparseRowsBuilder(d, Math.min(numItems, m));
      encoder.backward(params, cache, dHidden, inputRows, gradOut);
      gradOut.putRows(ITEM_EMBEDDING, itemRows.build());
      gradOut.putRows(INPUT_EMBEDDING, inputRows.build());
    }
    return value;
  }

  /** PER_ROW: the tower row of row i's column j (its positive's distinct column, else its own draw). */
  private static int perRowTower(SequenceLossRows rows, int i, int j, int distinct, int extra) {
    return j == 0 ? rows.positiveColumn[i] : distinct + i * extra + j - 1;
  }

  private static float[] gatherRows(float[] x, int[] index, int dim) {
    float[] out = new float[index.length * dim];
    for (int j = 0; j < index.length; j++) {
      System.arraycopy(x, index[j] * dim, out, j * dim, dim);
    }
    return out;
  }

  private static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
    float sum = 0f;
    for (int x = 0; x < len; x++) {
      sum += a[aOff + x] * b[bOff + x];
    }
    return sum;
  }

  private TowerHead.State itemForward(TensorStore params, int[] itemIds) {
    int d = config.dim;
    EmbeddingTable table = params.table(ITEM_EMBEDDING);
    float[] input = new float[itemIds.length * d];
    for (int i = 0; i < itemIds.length; i++) {
      table.readRow(itemIds[i], input, i * d);
    }
    return itemHead.forward(params, input, itemIds.length);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Inference

  /**
   * The user tower at the last slot of each of {@code batch} windows (the user's most recent L items, front
   * padded), no dropout: out[b * outputDim ..]. A window without items gets the tower of a zero hidden state.
   */
  public void userEmbeddings(TensorStore params, int[] items, int batch, float[] out) {
    checkParameters(params);
    float[] hidden = new float[batch * config.length * config.dim];
    encoder.forward(params, items, batch, null, hidden);
    float[] last = encoder.lastPositions(hidden, batch);
    TowerHead.State s = userHead.forward(params, last, batch);
    System.arraycopy(s.output(), 0, out, 0, batch * config.outputDim);
  }

  /** The item tower for n items: out[i * outputDim ..]. */
  public void itemEmbeddings(TensorStore params, int[] itemIds, int n, float[] out) {
    checkParameters(params);
    for (int i = 0; i < n; i++) {
      if (itemIds[i] < 0 || itemIds[i] >= config.numItems) {
        throw new IllegalArgumentException("item index " + itemIds[i] + " at position " + i
            + " outside the catalog [0, " + config.numItems + ")");
      }
    }
    TowerHead.State s = itemForward(params, java.util.Arrays.copyOf(itemIds, n));
    System.arraycopy(s.output(), 0, out, 0, n * config.outputDim);
  }
}
