package dev.logq.common.optim;

import dev.logq.common.config.Setting;
import dev.logq.common.linalg.VectorApiSupport;

/**
 * Adam (Kingma and Ba 2015) in PyTorch's form:
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), t the global step.
 *
 * <p>Lazy for embedding rows, like TensorFlow's LazyAdam: only rows with a gradient update their
 * moments and values, and bias correction uses the global step t (not a per-row count), so a rarely
 * seen row takes a full-size step when it does appear. Dense tensors follow standard Adam. State slots:
 * {@value #FIRST_MOMENT}/&lt;tensor&gt; and {@value #SECOND_MOMENT}/&lt;tensor&gt;.
 */
public final class Adam extends SlotOptimizer {

  private static final long serialVersionUID = 1L;
  public static final String FIRST_MOMENT = "adam.m";
  public static final String SECOND_MOMENT = "adam.v";
  private static final String[] SLOTS = {FIRST_MOMENT, SECOND_MOMENT};

  // Its own settings (Optimizers registers them with it; train.learningRate and train.epsilon are shared).
  public static final Setting<Double> BETA1 = Setting.number("train.adamBeta1", 0.9, 0, true, 1, false, """
      adam: decay of the first-moment average.""");
  public static final Setting<Double> BETA2 = Setting.number("train.adamBeta2", 0.999, 0, true, 1, false, """
      adam: decay of the second-moment average.""");

  /**
   * The Vector API path ({@link VectorAdam}, the same bits, about 4x fewer instructions on the owner's and the
   * driver's step) when the JVM has jdk.incubator.vector and 256-bit vectors, as for {@code linalg.Exp}; the
   * system property {@code logq.vectorAdam=false} turns it off.
   */
  static final boolean VECTOR =
      VectorApiSupport.unavailableReason("logq.vectorAdam", () -> VectorAdam.supported()) == null;

  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;

  public Adam(double learningRate, double beta1, double beta2, double epsilon) {
    this.learningRate = checkPositive("adam", "learning rate", learningRate);
    this.beta1 = checkBeta("beta1", beta1);
    this.beta2 = checkBeta("beta2", beta2);
    this.epsilon = checkPositive("adam", "epsilon", epsilon);
  }

  private static double checkBeta(String what, double value) {
    if (!(value >= 0.0 && value < 1.0)) {
      throw new IllegalArgumentException("adam: " + what + " must be in [0, 1), got " + value);
    }
    return value;
  }

  @Override
  public String name() {
    return "adam";
  }

  @Override
  String[] slots() {
    return SLOTS.clone();
  }

  @Override
  double[] stepConstants(long step) {
    // StrictMath: the same bias corrections on every JVM.
    return new double[] {1.0 - StrictMath.pow(beta1, step), 1.0 - StrictMath.pow(beta2, step)};
  }

  @Override
  void update(float[] param, float[] grad, float[][] slots, int len, double[] constants) {
    int done = VECTOR ? VectorAdam.update(param, grad, slots[0], slots[1], len, beta1, beta2, learningRate, epsilon,
        constants[0], constants[1]) : 0;
    scalarUpdate(param, grad, slots, done, len, constants);
  }

  /** The reference loop over [from, len); {@link VectorAdam} gives the same bits. */
  void scalarUpdate(float[] param, float[] grad, float[][] slots, int from, int len, double[] constants) {
    float[] first = slots[0];
    float[] second = slots[1];
    double correction1 = constants[0];
    double correction2 = constants[1];
    for (int i = from; i < len; i++) {
      double g = grad[i];
      float m = (float) (beta1 * first[i] + (1.0 - beta1) * g);
      float v = (float) (beta2 * second[i] + (1.0 - beta2) * g * g);
      first[i] = m;
      second[i] = v;
      param[i] = (float) (param[i] - learningRate * (m / correction1) / (Math.sqrt(v / correction2) + epsilon));
    }
  }

  @Override
  public String toString() {
    return "Adam(lr=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon + ")";
  }
}
