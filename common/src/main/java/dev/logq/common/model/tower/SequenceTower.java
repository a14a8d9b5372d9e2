package dev.logq.common.model.tower;

import dev.logq.common.model.Batch;
import dev.logq.common.model.RowReads;
import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRows;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.model.TwoTowerModel;
import dev.logq.common.model.sequence.CausalTransformerEncoder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code model.userTower = sequence}: a SASRec-style causal transformer over windows of the user's training
 * items ({@link CausalTransformerEncoder}, tensors {@value #PREFIX}.*), trained on every position: each slot
 * of a window that holds an item and has a next item is one loss row, whose positive is that next item
 * (a {@link Batch#ofSequences} batch; the model's shared head, the loss and its candidate columns then treat
 * the positions as any other rows). For evaluation and export the tower embeds the last slot of the user's
 * last L training items (no dropout), so it serves users unseen in training; a user without any item gets
 * the head applied to a zero vector.
 *
 * <p><b>Shared input and output item embeddings by default</b> ({@code sharedEmbeddings}): the encoder reads
 * {@value TwoTowerModel#ITEM_EMBEDDING}, the item tower's own table, as SASRec (whose ablation found sharing
 * better) and the refined-logQ authors' SASRec do. It halves the largest tensor and the sparse rows exchanged
 * per round, and an item's input vector learns from every position that names it as input, target or
 * negative, which matters for the long tail. With {@code sharedEmbeddings = false} the encoder reads its own
 * {@value #INPUT_EMBEDDING} (numItems x embeddingDim, Gaussian(initStd) like the item table).
 *
 * <p>The encoder's width is the model's {@code embeddingDim}; its dense tensors start as
 * {@link CausalTransformerEncoder#addInitial} says, from the model's seed. Dropout masks come from the step's
 * random generator (after the candidate columns' draws), so a step is a pure function of its inputs.
 *
 * @param length           {@code model.sequenceLength}: L, the slots of a window (and of an embedded user)
 * @param blocks           {@code model.sequenceBlocks}
 * @param heads            {@code model.sequenceHeads} (must divide embeddingDim)
 * @param hidden           {@code model.sequenceHidden}: the FFN's hidden size, 0 for embeddingDim
 * @param dropout          {@code model.sequenceDropout}, in [0, 1)
 * @param sharedEmbeddings {@code model.sequenceSharedEmbeddings}
 * @param stride           {@code model.sequenceStride}: training windows end at the user's last training
 *                         transition and every stride transitions before it; 0 for L (the windows tile the
 *                         history: every position trained once)
 */
public record SequenceTower(int length, int blocks, int heads, int hidden, double dropout, boolean sharedEmbeddings,
                            int stride) implements UserTower {

  private static final long serialVersionUID = 1L;

  public static final String NAME = "sequence";
  /** Prefix of the encoder's dense tensors. */
  public static final String PREFIX = "user.sequence";
  /** The encoder's own input table when the embeddings are not shared, numItems x embeddingDim. */
  public static final String INPUT_EMBEDDING = "user.sequence.embedding";
  /** Users embedded per encoder call (bounds the activations held at once to EMBED_CHUNK x L x d per block). */
  private static final int EMBED_CHUNK = 64;

  public SequenceTower {
    if (length < 1) {
      throw new IllegalArgumentException("model.sequenceLength must be >= 1, got " + length);
    }
    if (blocks < 0 || heads < 1 || hidden < 0) {
      throw new IllegalArgumentException("model.sequenceBlocks must be >= 0, model.sequenceHeads >= 1 and"
          + " model.sequenceHidden >= 0, got " + blocks + ", " + heads + ", " + hidden);
    }
    if (!(dropout >= 0.0 && dropout < 1.0)) {
      throw new IllegalArgumentException("model.sequenceDropout must be in [0, 1), got " + dropout);
    }
    if (stride < 0) {
      throw new IllegalArgumentException("model.sequenceStride must be >= 0, got " + stride);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public InputKind input() {
    return InputKind.SEQUENCE;
  }

  @Override
  public int window() {
    return length;
  }

  /** The stride between training windows (L when {@code stride} is 0). */
  public int windowStride() {
    return stride == 0 ? length : stride;
  }

  /** The item table the encoder reads. */
  public String inputTable() {
    return sharedEmbeddings ? TwoTowerModel.ITEM_EMBEDDING : INPUT_EMBEDDING;
  }

  /** The encoder for a model of width {@code embeddingDim} (a stateless value, cheap to build). */
  public CausalTransformerEncoder encoder(int embeddingDim) {
    if (embeddingDim % heads != 0) {
      throw new IllegalArgumentException("model.embeddingDim " + embeddingDim + " must be a multiple of"
          + " model.sequenceHeads " + heads);
    }
    return new CausalTransformerEncoder(PREFIX, inputTable(), length, embeddingDim, blocks, heads,
        hidden == 0 ? embeddingDim : hidden, dropout);
  }

  @Override
  public void addInitialParameters(TensorStore store, TowerShape shape, TableInit gaussian) {
    if (!sharedEmbeddings) {
      store.addTable(INPUT_EMBEDDING, shape.numItems(), shape.embeddingDim(), gaussian);
    } else if (!store.hasTable(TwoTowerModel.ITEM_EMBEDDING)) {
      throw new IllegalStateException("the sequence tower shares " + TwoTowerModel.ITEM_EMBEDDING
          + ", which must be added first");
    }
    encoder(shape.embeddingDim()).addInitial(store, gaussian.seed(), shape.numItems());
  }

  @Override
  public void checkParameters(TensorStore params, TowerShape shape) {
    TowerTensors.checkTable(params, inputTable(), shape.numItems(), shape.embeddingDim(), "numItems");
    encoder(shape.embeddingDim()).checkShapes(params);
  }

  /** The forward state: the encoder's cache and the slots of the loss rows. */
  private record State(CausalTransformerEncoder.Cache cache, int[] positions, int rows, int windows)
      implements Pass {}

  @Override
  public void addRowsRead(Batch batch, RowReads out) {
    out.add(inputTable(), batch.sequence, batch.windows * length); // every window's items, -1 padding skipped
  }

  @Override
  public Pass forward(TensorStore params, TowerShape shape, Batch batch, float[] out) {
    return forward(params, shape, batch, null, out);
  }

  @Override
  public Pass forward(TensorStore params, TowerShape shape, Batch batch, SplittableRandom rng, float[] out) {
    if (batch.sequence == null || batch.sequenceLength != length) {
      throw new IllegalArgumentException("the sequence tower needs a batch of windows of " + length + " items (got "
          + (batch.sequence == null ? "none" : "length " + batch.sequenceLength) + ")");
    }
    int d = shape.embeddingDim();
    float[] hidden = new float[batch.windows * length * d];
    CausalTransformerEncoder.Cache cache = encoder(d).forward(params, batch.sequence, batch.windows, rng, hidden);
    for (int b = 0; b < batch.size; b++) {
      System.arraycopy(hidden, batch.positions[b] * d, out, b * d, d);
    }
    return new State(cache, batch.positions, batch.size, batch.windows);
  }

  @Override
  public void backward(TensorStore params, TowerShape shape, Pass pass, float[] gradInputs, TensorPatch gradOut) {
    State state = (State) pass;
    int d = shape.embeddingDim();
    float[] dHidden = new float[state.windows() * length * d];
    for (int b = 0; b < state.rows(); b++) {
      int dst = state.positions()[b] * d;
      for (int k = 0; k < d; k++) {
        dHidden[dst + k] += gradInputs[b * d + k];
      }
    }
    String table = inputTable();
    SparseRows existing = gradOut.rows(table);
    SparseRowsBuilder rows = new SparseRowsBuilder(d, (existing == null ? 0 : existing.size())
        + Math.min(shape.numItems(), state.windows() * length));
    if (existing != null) {
      // The item tower's rows of the shared table first, then the encoder's input rows added in slot order.
      float[] row = new float[d];
      for (int i = 0; i < existing.size(); i++) {
        existing.copyRow(i, row, 0);
        rows.add(existing.rowId(i), row, 0);
      }
    }
    encoder(d).backward(params, state.cache(), dHidden, rows, gradOut);
    gradOut.putRows(table, rows.build());
  }

  @Override
  public void embed(TensorStore params, TowerShape shape, int[] users, int[] items, int n, float[] out) {
    if (items == null) {
      throw new IllegalArgumentException("the sequence tower embeds a user from their last " + length
          + " training items (got none)");
    }
    int d = shape.embeddingDim();
    CausalTransformerEncoder encoder = encoder(d);
    EmbeddingTable unused = params.table(inputTable()); // fails early, naming the table, when it is missing
    if (unused.dim() != d) {
      throw new IllegalArgumentException("table " + inputTable() + " has dim " + unused.dim() + ", not " + d);
    }
    float[] hidden = new float[Math.min(n, EMBED_CHUNK) * length * d];
    for (int from = 0; from < n; from += EMBED_CHUNK) {
      int m = Math.min(EMBED_CHUNK, n - from);
      int[] chunk = java.util.Arrays.copyOfRange(items, from * length, (from + m) * length);
      encoder.forward(params, chunk, m, null, hidden);
      System.arraycopy(encoder.lastPositions(hidden, m), 0, out, from * d, m * d);
    }
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("userTower", NAME);
    m.put("sequenceLength", length);
    m.put("sequenceBlocks", blocks);
    m.put("sequenceHeads", heads);
    m.put("sequenceHidden", hidden);
    m.put("sequenceDropout", dropout);
    m.put("sequenceSharedEmbeddings", sharedEmbeddings);
    m.put("sequenceStride", stride);
    return m;
  }
}
