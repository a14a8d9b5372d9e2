package dev.logq.common.model;

import dev.logq.common.loss.Logits;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.IdTower;

/**
 * An independent, deliberately plain double-precision implementation of the two towers' forward pass
 * and of the test losses, for central finite differences. It shares no code with the production model
 * beyond reading parameter values.
 */
final class ReferenceTwoTower {

  /** Parameter values in double, possibly with one coordinate perturbed. */
  interface Values {
    double table(String name, int row, int col);

    double dense(String name, int index);
  }

  static Values of(TensorStore store) {
    return new Values() {
      @Override
      public double table(String name, int row, int col) {
        return store.table(name).get(row, col);
      }

      @Override
      public double dense(String name, int index) {
        return store.dense(name)[index];
      }
    };
  }

  /** {@code base} with (name, row, col) shifted by delta; row = -1 addresses dense tensor index col. */
  static Values perturbed(Values base, String name, int row, int col, double delta) {
    return new Values() {
      @Override
      public double table(String n, int r, int c) {
        double v = base.table(n, r, c);
        return row >= 0 && n.equals(name) && r == row && c == col ? v + delta : v;
      }

      @Override
      public double dense(String n, int index) {
        double v = base.dense(n, index);
        return row < 0 && n.equals(name) && index == col ? v + delta : v;
      }
    };
  }

  private final ModelSpec spec;

  ReferenceTwoTower(ModelSpec spec) {
    this.spec = spec;
  }

  double[] item(Values p, int item) {
    int d = spec.embeddingDim();
    double[] x = new double[d];
    for (int k = 0; k < d; k++) {
      x[k] = p.table(TwoTowerModel.ITEM_EMBEDDING, item, k);
    }
    return head(p, "item.mlp", spec.itemMlp(), x);
  }

  double[] user(Values p, Batch batch, int b) {
    int d = spec.embeddingDim();
    double[] x = new double[d];
    if (spec.userTower() instanceof IdTower) {
      for (int k = 0; k < d; k++) {
        x[k] = p.table(TwoTowerModel.USER_EMBEDDING, batch.users[b], k);
      }
    } else {
      int len = spec.userTower().window();
      int count = 0;
      for (int l = 0; l < len; l++) {
        if (batch.history[b * len + l] >= 0) {
          count++;
        }
      }
      if (count == 0) {
        for (int k = 0; k < d; k++) {
          x[k] = p.dense(TwoTowerModel.EMPTY_HISTORY, k);
        }
      } else {
        double[] weight = new double[len];
        double sum = 0.0;
        for (int l = 0; l < len; l++) {
          int it = batch.history[b * len + l];
          if (it < 0) {
            continue;
          }
          if (((HistoryTower) spec.userTower()).pooling() == HistoryPooling.MEAN) {
            weight[l] = 1.0;
          } else {
            double s = 0.0;
            for (int k = 0; k < d; k++) {
              s += p.dense(TwoTowerModel.ATTENTION_VECTOR, k) * p.table(TwoTowerModel.HISTORY_EMBEDDING, it, k);
            }
            weight[l] = Math.exp(s);
          }
          sum += weight[l];
        }
        for (int l = 0; l < len; l++) {
          int it = batch.history[b * len + l];
          if (it < 0) {
            continue;
          }
          for (int k = 0; k < d; k++) {
            x[k] += weight[l] / sum * p.table(TwoTowerModel.HISTORY_EMBEDDING, it, k);
          }
        }
      }
    }
    return head(p, "user.mlp", spec.userMlp(), x);
  }

  /** MLP (ReLU hidden, linear output) then optional L2. */
  private double[] head(Values p, String prefix, int[] hidden, double[] x) {
    if (hidden.length > 0) {
      int layers = hidden.length + 1;
      for (int l = 0; l < layers; l++) {
        int in = x.length;
        int out = l < hidden.length ? hidden[l] : spec.outputDim();
        double[] z = new double[out];
        for (int j = 0; j < out; j++) {
          double s = p.dense(prefix + "." + l + ".bias", j);
          for (int i = 0; i < in; i++) {
            s += p.dense(prefix + "." + l + ".weight", j * in + i) * x[i];
          }
          z[j] = l < hidden.length ? Math.max(0.0, s) : s;
        }
        x = z;
      }
    }
    if (spec.l2Normalize()) {
      double norm = 0.0;
      for (double v : x) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      double[] y = new double[x.length];
      for (int k = 0; k < x.length; k++) {
        y[k] = x[k] / norm;
      }
      return y;
    }
    return x;
  }

  private double score(double[] u, double[] v) {
    double s = 0.0;
    for (int k = 0; k < u.length; k++) {
      s += u[k] * v[k];
    }
    return s / spec.temperature();
  }

  /** The test loss (softmax for SHARED, BCE for PER_ROW) over the columns the model used. */
  double loss(Values p, Batch batch, TestLosses.Capturing columns) {
    int n = batch.size;
    double total = 0.0;
    for (int b = 0; b < n; b++) {
      double[] u = user(p, batch, b);
      int positive = columns.item(b, columns.positiveColumn[b]);
      if (columns.layout == Logits.Layout.SHARED) {
        // Columns with counts stand for the batch's positives, one column per row: the reference uses those
        // columns themselves, so it checks the model's deduplication instead of repeating it.
        boolean expand = columns.columnCount != null;
        int cols = expand ? n : columns.cols;
        int positiveColumn = expand ? b : columns.positiveColumn[b];
        double[] s = new double[cols];
        int[] colItem = new int[cols];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
          colItem[j] = expand ? batch.items[j] : columns.item(b, j);
          s[j] = score(u, item(p, colItem[j]));
          boolean masked = j != positiveColumn && colItem[j] == positive;
          if (!masked) {
            max = Math.max(max, s[j]);
          }
        }
        double sum = 0.0;
        for (int j = 0; j < cols; j++) {
          boolean masked = j != positiveColumn && colItem[j] == positive;
          if (!masked) {
            sum += Math.exp(s[j] - max);
          }
        }
        total += -(s[positiveColumn] - max) + Math.log(sum);
      } else {
        for (int j = 0; j < columns.cols; j++) {
          double s = score(u, item(p, columns.item(b, j)));
          if (j == 0) {
            total += TestLosses.softplus(-s);
          } else if (columns.item(b, j) != positive) {
            total += TestLosses.softplus(s);
          }
        }
      }
    }
    return total / n;
  }
}
