package dev.logq.common.model.tower;

import dev.logq.common.config.Setting;
import dev.logq.common.model.Batch;
import dev.logq.common.model.RowReads;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code model.userTower = history}: the user's last {@code length} items before the target, looked up in
 * {@value #EMBEDDING} (its own numItems x embeddingDim table: the towers share no parameters) and pooled by
 * {@link HistoryPooler} (mean or attention; {@value #EMPTY_HISTORY} for an empty history). It embeds users
 * unseen in training from their history.
 *
 * @param length  {@code model.historyLength}: how many of the user's previous items it pools (L)
 * @param pooling {@code model.historyPooling}
 */
public record HistoryTower(int length, HistoryPooling pooling) implements UserTower {

  private static final long serialVersionUID = 1L;

  public static final String NAME = "history";
  /** Its lines in model.userTower's documentation. */
  public static final String DOC = """
      history: pooled embeddings of the user's last historyLength items before the target
      (serves users unseen in training).""";
  /** numItems x embeddingDim, not shared with the item tower. */
  public static final String EMBEDDING = "user.history.embedding";
  /** The pooled vector of a user without history, dense [embeddingDim]. */
  public static final String EMPTY_HISTORY = "user.history.empty";
  /** ATTENTION pooling: the attention query vector, dense [embeddingDim], initialised to zero. */
  public static final String ATTENTION_VECTOR = "user.history.attention";

  // Its settings (UserTowers registers them with the tower).
  public static final Setting<Integer> HISTORY_LENGTH = Setting.integer("model.historyLength", 20, 1, 1_000_000, """
      history tower: how many of the user's previous items it pools.""");
  public static final Setting<HistoryPooling> HISTORY_POOLING = Setting.choice("model.historyPooling", HistoryPooling.MEAN, """
      history tower: mean | attention""");

  public static final List<Setting<?>> SETTINGS = List.of(HISTORY_LENGTH, HISTORY_POOLING);

  public HistoryTower {
    if (pooling == null) {
      throw new IllegalArgumentException("model.historyPooling must be set (mean or attention)");
    }
    if (length < 1) {
      throw new IllegalArgumentException("model.historyLength must be >= 1 with userTower = history, got " + length);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public InputKind input() {
    return InputKind.HISTORY;
  }

  @Override
  public int window() {
    return length;
  }

  @Override
  public void addInitialParameters(TensorStore store, TowerShape shape, TableInit gaussian) {
    int d = shape.embeddingDim();
    store.addTable(EMBEDDING, shape.numItems(), d, gaussian);
    store.putDense(EMPTY_HISTORY, gaussian.newDense(EMPTY_HISTORY, d));
    if (pooling == HistoryPooling.ATTENTION) {
      store.putDense(ATTENTION_VECTOR, new float[d]);
    }
  }

  @Override
  public void checkParameters(TensorStore params, TowerShape shape) {
    int d = shape.embeddingDim();
    TowerTensors.checkTable(params, EMBEDDING, shape.numItems(), d, "numItems");
    TowerTensors.checkDense(params, EMPTY_HISTORY, d);
    if (pooling == HistoryPooling.ATTENTION) {
      TowerTensors.checkDense(params, ATTENTION_VECTOR, d);
    }
  }

  private HistoryPooler pooler(TowerShape shape) {
    return new HistoryPooler(pooling, length, shape.embeddingDim(), shape.numItems());
  }

  @Override
  public Pass forward(TensorStore params, TowerShape shape, Batch batch, float[] out) {
    return pooler(shape).forward(params, batch.history, batch.size, out);
  }

  @Override
  public void addRowsRead(Batch batch, RowReads out) {
    out.add(EMBEDDING, batch.history, batch.size * length); // -1 padding is skipped
  }

  @Override
  public void backward(TensorStore params, TowerShape shape, Pass pass, float[] gradInputs, TensorPatch gradOut) {
    HistoryPooler.Cache cache = (HistoryPooler.Cache) pass;
    int d = shape.embeddingDim();
    SparseRowsBuilder rows = new SparseRowsBuilder(d, cache.m * length);
    float[] gradEmpty = new float[d];
    boolean attention = pooling == HistoryPooling.ATTENTION;
    float[] gradAttention = attention ? new float[d] : null;
    pooler(shape).backward(params, cache, gradInputs, rows, gradEmpty, gradAttention);
    gradOut.putRows(EMBEDDING, rows.build());
    gradOut.putDense(EMPTY_HISTORY, gradEmpty);
    if (attention) {
      gradOut.putDense(ATTENTION_VECTOR, gradAttention);
    }
  }

  @Override
  public void embed(TensorStore params, TowerShape shape, int[] users, int[] items, int n, float[] out) {
    pooler(shape).forward(params, items, n, out);
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("userTower", NAME);
    m.put("historyLength", length);
    m.put("historyPooling", pooling.configName());
    return m;
  }
}
