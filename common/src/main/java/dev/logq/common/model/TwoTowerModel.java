package dev.logq.common.model;

import dev.logq.common.loss.Candidates;
import dev.logq.common.loss.Logits;
import dev.logq.common.loss.Loss;
import dev.logq.common.model.sequence.ScoreProducts;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.IdTower;
import dev.logq.common.model.tower.TowerShape;
import dev.logq.common.model.tower.TowerTensors;
import dev.logq.common.model.tower.UserTower;
import java.io.Serializable;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The two-tower retrieval model: forward passes, the training step, and hand-derived backward passes.
 *
 * <p>Towers (D = {@link ModelSpec#outputDim()}):
 * <ul>
 *   <li>item: {@value #ITEM_EMBEDDING} row -> optional MLP ({@code item.mlp.*}) -> optional L2.</li>
 *   <li>user: the spec's {@link UserTower} (e.g. {@link IdTower}: a {@value #USER_EMBEDDING} row;
 *       {@link HistoryTower}: the last L items pooled) -> optional MLP ({@code user.mlp.*}) -> optional L2.
 *       The model never asks which tower it has: it calls the interface.</li>
 * </ul>
 * Score: s(u, i) = &lt;user(u), item(i)&gt; / tau.
 *
 * <p>Training step ({@link #lossAndGradient}): the loss's {@link Candidates} decide the candidate columns, the loss turns scores into dLoss/dScores, and the gradient flows back through both towers.
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
  /** {@link IdTower#EMBEDDING}. */
  public static final String USER_EMBEDDING = IdTower.EMBEDDING;
  /** {@link HistoryTower#EMBEDDING}. */
  public static final String HISTORY_EMBEDDING = HistoryTower.EMBEDDING;
  /** {@link HistoryTower#EMPTY_HISTORY}. */
  public static final String EMPTY_HISTORY = HistoryTower.EMPTY_HISTORY;
  /** {@link HistoryTower#ATTENTION_VECTOR}. */
  public static final String ATTENTION_VECTOR = HistoryTower.ATTENTION_VECTOR;
  /** Prefix of the item tower's MLP tensors: item.mlp.&lt;layer&gt;.weight / .bias. */
  public static final String ITEM_MLP_PREFIX = "item.mlp";
  /** Prefix of the user tower's MLP tensors: user.mlp.&lt;layer&gt;.weight / .bias. */
  public static final String USER_MLP_PREFIX = "user.mlp";

  private final ModelSpec spec;
  private final Mlp itemMlp;
  private final Mlp userMlp;
  private final UserTower userTower;
  private final TowerShape shape;
  private final float inverseTemperature;
  public TwoTowerModel(ModelSpec spec) {
    this.spec = spec;
    this.itemMlp = new Mlp(ITEM_MLP_PREFIX, spec.embeddingDim(), spec.itemMlp(), spec.outputDim());
    this.userMlp = new Mlp(USER_MLP_PREFIX, spec.embeddingDim(), spec.userMlp(), spec.outputDim());
    this.userTower = spec.userTower();
    this.shape = spec.towerShape();
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
    spec.userTower().addInitialParameters(store, spec.towerShape(), gaussian);
    TwoTowerModel model = new TwoTowerModel(spec);
    model.itemMlp.addInitial(store, spec.seed());
    model.userMlp.addInitial(store, spec.seed());
    return store;
  }

  /** Fails, naming the tensor, when {@code params} does not fit this model's spec. */
  public void checkParameters(TensorStore params) {
    int d = spec.embeddingDim();
    TowerTensors.checkTable(params, ITEM_EMBEDDING, spec.numItems(), d, "numItems");
    userTower.checkParameters(params, shape);
    itemMlp.checkShapes(params);
    userMlp.checkShapes(params);
  }

  // ---------------------------------------------------------------------------------------------
  // Training step

  /**
   * One forward and backward pass over a local batch.
   *
   * <p>The candidate columns are the loss's choice, {@link Loss#candidates}({@code uniformNegatives}) (see
   * {@link Candidates}: in-batch distinct items with counts, in-batch plus uniform draws from {@code rng},
   * the full catalog, or per-row uniform draws). A batch {@link Batch#inRound in a global round} takes the
   * in-batch columns of the whole round ({@link Candidates#chooseInRound}): the columns of other workers'
   * positives get gradient rows too, which the synchronisation sums like any other.
   *
   * @param itemLogQ log Q(item) for the whole catalog, passed to the loss unchanged (may be null for
   *     losses that do not read it)
   * @param gradOut cleared, then filled with the gradient of the returned loss: rows of every embedding
   *     table (only the rows the step touched) and every dense tensor
   * @return the loss's mean loss over the batch rows
   */
  public double lossAndGradient(TensorStore params, Batch batch, Loss loss, double[] itemLogQ,
                                int uniformNegatives, SplittableRandom rng, TensorPatch gradOut) {
    return lossAndGradient(params, batch, loss, itemLogQ, uniformNegatives, rng, gradOut, new StepScratch());
  }

  /**
   * As {@link #lossAndGradient(TensorStore, Batch, Loss, double[], int, SplittableRandom, TensorPatch)}, with the
   * batch x columns score and score-gradient arrays taken from {@code scratch}: the same results, bit for bit.
   */
  public double lossAndGradient(TensorStore params, Batch batch, Loss loss, double[] itemLogQ,
                                int uniformNegatives, SplittableRandom rng, TensorPatch gradOut,
                                StepScratch scratch) {
    checkParameters(params);
    if (uniformNegatives < 0) {
      throw new IllegalArgumentException("uniformNegatives must be >= 0, got " + uniformNegatives);
    }
    int n = batch.size;
    int numItems = spec.numItems();
    int[] items = batch.items;
    requireInCatalog(items, n, numItems, "batch row", "positive item index");
    if (batch.roundItems != null) {
      requireInCatalog(batch.roundItems, batch.roundItems.length, numItems, "round item", "index");
    }
    // Candidate columns: the loss's choice (in-batch distinct, + uniform, full catalog or per-row draws); a batch
    // that is part of a global round is scored against the whole round's distinct items (global negatives).
    Candidates candidates = loss.candidates(uniformNegatives);
    Candidates.Columns chosen = batch.roundItems == null
        ? candidates.choose(items, n, numItems, rng)
        : candidates.chooseInRound(batch.roundItems, batch.roundOffset, n, numItems, rng);
    Logits.Layout layout = chosen.layout();
    int cols = chosen.cols();
    int[] columnItem = chosen.columnItem();
    int[] positiveColumn = chosen.positiveColumn();
    int[] columnCount = chosen.columnCount();
    int inBatchColumns = chosen.inBatchColumns();
    int itemRows = columnItem.length;

    // Forward.
    Tower user = userForward(params, batch, rng);
    Tower item = itemForward(params, columnItem, itemRows);
    int outDim = spec.outputDim();
    // The temperature is folded into the user side: S = (U / tau) V^T, so it costs n x D, not n x cols.
    float[] u = new float[n * outDim];
    for (int i = 0; i < u.length; i++) {
      u[i] = user.output[i] * inverseTemperature;
    }
    float[] v = item.output;
    float[] scores = scratch.scores(n * cols); // every cell of the first n * cols is written below
    if (layout == Logits.Layout.SHARED) {
      // Every tower's score products go through ScoreProducts: the fused kernels by default (about 3 times
      // faster than Matrices at B = 1,024, d = 64; docs/decisions.md, "Sequential tower: kernels").
      ScoreProducts.multiplyTransposed(u, v, scores, n, cols, outDim);
    } else {
      for (int b = 0; b < n; b++) {
        for (int j = 0; j < cols; j++) {
          scores[b * cols + j] = dot(u, b * outDim, v, (b * cols + j) * outDim, outDim);
        }
      }
    }
    Logits logits = new Logits(layout, n, cols, scores, positiveColumn, columnItem, inBatchColumns, itemLogQ,
        numItems, columnCount);
    float[] gradScores = scratch.zeroedGradScores(n * cols);
    double value = loss.lossAndGradient(logits, gradScores);

    // Backward: dL/dU = (G V) / tau, dL/dV = G^T (U / tau).
    float[] gradU = new float[n * outDim];
    float[] gradV = new float[itemRows * outDim];
    if (layout == Logits.Layout.SHARED) {
      ScoreProducts.multiplyAdd(gradScores, v, gradU, n, outDim, cols);
      ScoreProducts.transposeMultiplyAdd(gradScores, u, gradV, n, outDim, cols);
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
    userBackward(params, user, gradU, gradOut);
    return value;
  }

  /**
   * The two batch x columns arrays of a step (the scores and their gradient), kept by a caller that runs many steps
   * on one thread. At B = 1,024 each is 4 MB, a humongous object for G1 (half a region or more), and every
   * humongous allocation with the old generation above G1's occupancy threshold starts a concurrent marking
   * cycle: allocated fresh each step, they could keep G1 marking back to back through training (docs/benchmarks.md,
   * issue 12, session 19, "Step arrays and G1"). Not thread-safe: one per thread. The arrays grow to the largest step's size.
   */
  public static final class StepScratch {
    private float[] scores = new float[0];
    private float[] gradScores = new float[0];

    /** At least {@code size} floats, contents undefined (the caller writes the first size). */
    float[] scores(int size) {
      if (scores.length < size) {
        scores = new float[size];
      }
      return scores;
    }

    /** At least {@code size} floats, the first size of them 0 (a loss may leave cells unwritten). */
    float[] zeroedGradScores(int size) {
      if (gradScores.length < size) {
        gradScores = new float[size];
      } else {
        java.util.Arrays.fill(gradScores, 0, size, 0f);
      }
      return gradScores;
    }
  }

  /**
   * The embedding-table rows that {@link #lossAndGradient} with the same arguments reads: the item table's rows of
   * the candidate columns (drawn from {@code rng} as the step draws them, so pass a generator in the state the
   * step's will be in) and the user tower's rows. Every dense tensor is read too and is not listed. A worker that
   * keeps only these rows current computes the same bits as one with the whole model.
   *
   * @throws IllegalArgumentException for a batch in a global round, whose columns are the other workers' items
   */
  public Map<String, int[]> rowsRead(Batch batch, Loss loss, int uniformNegatives, SplittableRandom rng) {
    if (batch.roundItems != null) {
      throw new IllegalArgumentException("a batch in a global round reads every worker's items; its rows are not"
          + " known from the batch alone");
    }
    Candidates.Columns chosen = loss.candidates(uniformNegatives).choose(batch.items, batch.size, spec.numItems(),
        rng);
    RowReads reads = new RowReads().add(ITEM_EMBEDDING, chosen.columnItem(), chosen.columnItem().length);
    userTower.addRowsRead(batch, reads);
    return reads.build();
  }

  /** Fails with "{@code row} i: {@code noun} id outside the catalog [0, numItems)" for the first id outside it. */
  private static void requireInCatalog(int[] ids, int count, int numItems, String row, String noun) {
    for (int i = 0; i < count; i++) {
      if (ids[i] < 0 || ids[i] >= numItems) {
        throw new IllegalArgumentException(row + " " + i + ": " + noun + " " + ids[i] + " outside the catalog [0, "
            + numItems + ")");
      }
    }
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
   * The user embeddings of n users, as {@link UserTower#embed} takes them (e.g. the id tower: {@code users};
   * towers that read items: {@code history}, n x {@link UserTower#window()}): out[b * outputDim ..] for row b.
   */
  public void userEmbeddings(TensorStore params, int[] users, int[] history, int n, float[] out) {
    checkParameters(params);
    float[] input = new float[n * spec.embeddingDim()];
    userTower.embed(params, shape, users, history, n, input);
    Tower tower = towerForward(userMlp, params, input, n);
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
    /** User tower only: what its backward pass needs. */
    UserTower.Pass userPass;

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

  private Tower userForward(TensorStore params, Batch batch, SplittableRandom rng) {
    float[] input = new float[batch.size * spec.embeddingDim()];
    UserTower.Pass pass = userTower.forward(params, shape, batch, rng, input);
    Tower tower = towerForward(userMlp, params, input, batch.size);
    tower.userPass = pass;
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

  private void userBackward(TensorStore params, Tower tower, float[] gradOutput, TensorPatch gradOut) {
    float[][] gradWeights = newWeightGradients(userMlp);
    float[][] gradBiases = newBiasGradients(userMlp);
    float[] gradInput = towerBackward(userMlp, params, tower, gradOutput, gradWeights, gradBiases);
    userTower.backward(params, shape, tower.userPass, gradInput, gradOut);
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
