package dev.logq.common.optim;

/**
 * Adagrad (Duchi et al. 2011), as in PyTorch with initial accumulator 0:
 * acc += g^2; p -= lr * g / (sqrt(acc) + eps). Embedding rows without gradient keep their accumulator.
 * State slot: {@value #ACCUMULATOR}/&lt;tensor&gt;.
 */
public final class Adagrad extends SlotOptimizer {

  private static final long serialVersionUID = 1L;
  public static final String ACCUMULATOR = "adagrad.accumulator";
  private static final String[] SLOTS = {ACCUMULATOR};

  private final double learningRate;
  private final double epsilon;

  public Adagrad(double learningRate, double epsilon) {
    this.learningRate = checkPositive("adagrad", "learning rate", learningRate);
    this.epsilon = checkPositive("adagrad", "epsilon", epsilon);
  }

  @Override
  public String name() {
    return "adagrad";
  }

  @Override
  String[] slots() {
    return SLOTS.clone();
  }

  @Override
  double[] stepConstants(long step) {
    return null;
  }

  @Override
  void update(float[] param, float[] grad, float[][] slots, int len, double[] constants) {
    float[] accumulator = slots[0];
    for (int i = 0; i < len; i++) {
      double g = grad[i];
      float acc = (float) (accumulator[i] + g * g);
      accumulator[i] = acc;
      param[i] = (float) (param[i] - learningRate * g / (Math.sqrt(acc) + epsilon));
    }
  }

  @Override
  public String toString() {
    return "Adagrad(lr=" + learningRate + ", eps=" + epsilon + ")";
  }
}
