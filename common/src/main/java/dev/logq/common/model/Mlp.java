package dev.logq.common.model;

import dev.logq.common.linalg.Matrices;
import java.io.Serializable;

/**
 * A tower's optional multi-layer perceptron: ReLU hidden layers and a linear output layer, applied to a
 * block of m rows at once. Layer l has weight {@code <prefix>.<l>.weight} ([out x in], row-major, as
 * in PyTorch's Linear) and bias {@code <prefix>.<l>.bias} [out], both dense tensors of the store. With
 * no hidden sizes there is no MLP at all (identity).
 */
final class Mlp implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String prefix;
  /** sizes[0] = input, sizes[layers] = output; a single entry means identity. */
  private final int[] sizes;

  Mlp(String prefix, int inputDim, int[] hidden, int outputDim) {
    this.prefix = prefix;
    if (hidden.length == 0) {
      sizes = new int[] {inputDim};
    } else {
      sizes = new int[hidden.length + 2];
      sizes[0] = inputDim;
      System.arraycopy(hidden, 0, sizes, 1, hidden.length);
      sizes[sizes.length - 1] = outputDim;
    }
  }

  int layers() {
    return sizes.length - 1;
  }

  int size(int index) {
    return sizes[index];
  }

  int outputDim() {
    return sizes[sizes.length - 1];
  }

  String weightName(int layer) {
    return prefix + "." + layer + ".weight";
  }

  String biasName(int layer) {
    return prefix + "." + layer + ".bias";
  }

  /**
   * Adds the initial weights: He normal (std sqrt(2 / fanIn)) for layers followed by a ReLU, LeCun
   * normal (std sqrt(1 / fanIn)) for the linear output layer; zero biases.
   */
  void addInitial(TensorStore store, long seed) {
    for (int l = 0; l < layers(); l++) {
      int in = sizes[l];
      int out = sizes[l + 1];
      double std = Math.sqrt((l < layers() - 1 ? 2.0 : 1.0) / in);
      store.putDense(weightName(l), TableInit.gaussian(seed, std).newDense(weightName(l), out * in));
      store.putDense(biasName(l), new float[out]);
    }
  }

  void checkShapes(TensorStore store) {
    for (int l = 0; l < layers(); l++) {
      checkLength(store, weightName(l), sizes[l + 1] * sizes[l]);
      checkLength(store, biasName(l), sizes[l + 1]);
    }
  }

  private static void checkLength(TensorStore store, String name, int expected) {
    int actual = store.dense(name).length;
    if (actual != expected) {
      throw new IllegalArgumentException("parameter '" + name + "' has " + actual + " values; the model spec needs "
          + expected);
    }
  }

  /** A fresh activation array per layer: acts[0] is the given input, acts[l] (m x sizes[l]) for l >= 1. */
  float[][] newActivations(float[] input, int m) {
    float[][] acts = new float[sizes.length][];
    acts[0] = input;
    for (int l = 1; l < sizes.length; l++) {
      acts[l] = new float[m * sizes[l]];
    }
    return acts;
  }

  /** Fills acts[1..layers] from acts[0]. */
  void forward(TensorStore params, float[][] acts, int m) {
    int last = layers() - 1;
    for (int l = 0; l <= last; l++) {
      int in = sizes[l];
      int out = sizes[l + 1];
      float[] weight = params.dense(weightName(l));
      float[] bias = params.dense(biasName(l));
      float[] z = acts[l + 1];
      Matrices.multiplyTransposed(acts[l], weight, z, m, out, in);
      boolean relu = l < last;
      for (int r = 0; r < m; r++) {
        int base = r * out;
        for (int j = 0; j < out; j++) {
          float v = z[base + j] + bias[j];
          z[base + j] = relu && v < 0f ? 0f : v;
        }
      }
    }
  }

  /**
   * Back-propagates {@code dOutput} (m x output, consumed) and returns the gradient with respect to
   * acts[0] (the same array as dOutput when there are no layers). Weight and bias gradients are added
   * to gradWeights[l] and gradBiases[l].
   */
  float[] backward(TensorStore params, float[][] acts, float[] dOutput, int m,
                   float[][] gradWeights, float[][] gradBiases) {
    float[] dCurrent = dOutput;
    int last = layers() - 1;
    for (int l = last; l >= 0; l--) {
      int in = sizes[l];
      int out = sizes[l + 1];
      if (l < last) {
        // ReLU: the gradient passes where the activation was positive.
        float[] activation = acts[l + 1];
        for (int i = 0; i < m * out; i++) {
          if (activation[i] <= 0f) {
            dCurrent[i] = 0f;
          }
        }
      }
      float[] gradBias = gradBiases[l];
      for (int r = 0; r < m; r++) {
        int base = r * out;
        for (int j = 0; j < out; j++) {
          gradBias[j] += dCurrent[base + j];
        }
      }
      Matrices.transposeMultiplyAdd(dCurrent, acts[l], gradWeights[l], m, in, out);
      float[] dPrevious = new float[m * in];
      Matrices.multiplyAdd(dCurrent, params.dense(weightName(l)), dPrevious, m, in, out);
      dCurrent = dPrevious;
    }
    return dCurrent;
  }
}
