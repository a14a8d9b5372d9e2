package dev.logq.common.model.tower;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.TensorStore;

/** Shape checks shared by the towers (and the model's item tower), with messages naming the spec key. */
public final class TowerTensors {

  private TowerTensors() {}

  public static void checkTable(TensorStore params, String name, int rows, int dim, String rowsKey) {
    EmbeddingTable table = params.table(name);
    if (table.rows() != rows || table.dim() != dim) {
      throw new IllegalArgumentException("parameter table '" + name + "' is " + table.rows() + " x " + table.dim()
          + " but the model spec needs " + rows + " (" + rowsKey + ") x " + dim + " (embeddingDim)");
    }
  }

  public static void checkDense(TensorStore params, String name, int length) {
    int actual = params.dense(name).length;
    if (actual != length) {
      throw new IllegalArgumentException("parameter '" + name + "' has " + actual + " values; the model spec needs "
          + length);
    }
  }
}
