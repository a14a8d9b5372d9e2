package dev.logq.common.model;

import java.io.Serializable;

/**
 * The top of a tower as {@link TwoTowerModel} builds it, for towers outside this package (the sequence tower
 * of {@code dev.logq.common.model.sequence}): an optional {@link Mlp} ({@code <prefix>.<l>.weight / .bias},
 * ReLU hidden layers, linear output) followed by an optional row-wise {@link L2Norm}. A thin public face over
 * the same package-private kernels, so the math (and its bits) is the two-tower model's.
 */
public final class TowerHead implements Serializable {

  private static final long serialVersionUID = 1L;

  private final Mlp mlp;
  private final boolean l2Normalize;

  /** {@code hidden} empty: no MLP (the output is the input, outputDim is then inputDim). */
  public TowerHead(String prefix, int inputDim, int[] hidden, int outputDim, boolean l2Normalize) {
    this.mlp = new Mlp(prefix, inputDim, hidden, outputDim);
    this.l2Normalize = l2Normalize;
  }

  public int inputDim() {
    return mlp.size(0);
  }

  public int outputDim() {
    return mlp.outputDim();
  }

  /** Adds the MLP's initial weights (He / LeCun normal, zero biases; pure functions of seed and name). */
  public void addInitial(TensorStore store, long seed) {
    mlp.addInitial(store, seed);
  }

  public void checkShapes(TensorStore store) {
    mlp.checkShapes(store);
  }

  /** The forward state of m rows; {@link #output} is [m x outputDim]. */
  public static final class State {
    final int m;
    final float[][] activations;
    final float[] output;
    final float[] norms;

    State(int m, float[][] activations, float[] output, float[] norms) {
      this.m = m;
      this.activations = activations;
      this.output = output;
      this.norms = norms;
    }

    public float[] output() {
      return output;
    }
  }

  /** Forward over m rows of {@code input} [m x inputDim] (kept, not modified). */
  public State forward(TensorStore params, float[] input, int m) {
    float[][] acts = mlp.newActivations(input, m);
    mlp.forward(params, acts, m);
    float[] pre = acts[mlp.layers()];
    if (!l2Normalize) {
      return new State(m, acts, pre, null);
    }
    int outDim = mlp.outputDim();
    float[] out = new float[m * outDim];
    float[] norms = new float[m];
    L2Norm.forward(pre, out, norms, m, outDim);
    return new State(m, acts, out, norms);
  }

  /**
   * Back-propagates {@code gradOutput} [m x outputDim] (may be consumed) and returns the gradient with respect
   * to the input [m x inputDim]. The MLP's weight and bias gradients are put into {@code gradOut} (replacing any
   * entries of the same names).
   */
  public float[] backward(TensorStore params, State state, float[] gradOutput, TensorPatch gradOut) {
    float[][] gradWeights = new float[mlp.layers()][];
    float[][] gradBiases = new float[mlp.layers()][];
    for (int l = 0; l < mlp.layers(); l++) {
      gradWeights[l] = new float[mlp.size(l) * mlp.size(l + 1)];
      gradBiases[l] = new float[mlp.size(l + 1)];
    }
    float[] gradPre = l2Normalize
        ? L2Norm.backward(state.output, state.norms, gradOutput, state.m, mlp.outputDim())
        : gradOutput;
    float[] gradInput = mlp.backward(params, state.activations, gradPre, state.m, gradWeights, gradBiases);
    for (int l = 0; l < mlp.layers(); l++) {
      gradOut.putDense(mlp.weightName(l), gradWeights[l]);
      gradOut.putDense(mlp.biasName(l), gradBiases[l]);
    }
    return gradInput;
  }
}
