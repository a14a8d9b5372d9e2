package dev.logq.common.model.tower;

import dev.logq.common.model.Batch;
import dev.logq.common.model.RowReads;
import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code model.userTower = id}: a learned embedding row per user index ({@value #EMBEDDING},
 * numUsers x embeddingDim, Gaussian(initStd)). It cannot embed a user absent from the training data.
 */
public record IdTower() implements UserTower {

  private static final long serialVersionUID = 1L;

  public static final String NAME = "id";
  /** Its line in model.userTower's documentation. */
  public static final String DOC = "id: a learned embedding per user.";
  /** numUsers x embeddingDim. */
  public static final String EMBEDDING = "user.embedding";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public InputKind input() {
    return InputKind.USER_IDS;
  }

  @Override
  public int window() {
    return 0;
  }

  @Override
  public String perUserTable() {
    return EMBEDDING;
  }

  @Override
  public void addInitialParameters(TensorStore store, TowerShape shape, TableInit gaussian) {
    store.addTable(EMBEDDING, shape.numUsers(), shape.embeddingDim(), gaussian);
  }

  @Override
  public void checkParameters(TensorStore params, TowerShape shape) {
    TowerTensors.checkTable(params, EMBEDDING, shape.numUsers(), shape.embeddingDim(), "numUsers");
  }

  private record Rows(int[] users, int n) implements Pass {}

  @Override
  public Pass forward(TensorStore params, TowerShape shape, Batch batch, float[] out) {
    lookup(params, shape, batch.users, batch.size, out);
    return new Rows(batch.users, batch.size);
  }

  @Override
  public void addRowsRead(Batch batch, RowReads out) {
    out.add(EMBEDDING, batch.users, batch.size);
  }

  @Override
  public void backward(TensorStore params, TowerShape shape, Pass pass, float[] gradInputs, TensorPatch gradOut) {
    Rows rows = (Rows) pass;
    int d = shape.embeddingDim();
    SparseRowsBuilder builder = new SparseRowsBuilder(d, rows.n());
    for (int b = 0; b < rows.n(); b++) {
      builder.add(rows.users()[b], gradInputs, b * d);
    }
    gradOut.putRows(EMBEDDING, builder.build());
  }

  @Override
  public void embed(TensorStore params, TowerShape shape, int[] users, int[] items, int n, float[] out) {
    lookup(params, shape, users, n, out);
  }

  private static void lookup(TensorStore params, TowerShape shape, int[] users, int n, float[] out) {
    if (users == null) {
      throw new IllegalArgumentException("the id user tower needs the batch's user indices (got none)");
    }
    int d = shape.embeddingDim();
    EmbeddingTable table = params.table(EMBEDDING);
    for (int b = 0; b < n; b++) {
      int user = users[b];
      if (user < 0 || user >= shape.numUsers()) {
        throw new IllegalArgumentException("batch row " + b + ": user index " + user + " outside [0, "
            + shape.numUsers() + ") (the id tower cannot embed unseen users; use model.userTower = history)");
      }
      table.readRow(user, out, b * d);
    }
  }

  @Override
  public Map<String, Object> settings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("userTower", NAME);
    return m;
  }
}
