package dev.logq.common.optim;

/** Plain stochastic gradient descent: p -= lr * g. No state. */
public final class Sgd extends SlotOptimizer {

  private static final long serialVersionUID = 1L;
  private static final String[] NO_SLOTS = new String[0];

  private final double learningRate;

  public Sgd(double learningRate) {
    this.learningRate = checkPositive("sgd", "learning rate", learningRate);
  }

  @Override
  public String name() {
    return "sgd";
  }

  public double learningRate() {
    return learningRate;
  }

  @Override
  String[] slots() {
    return NO_SLOTS;
  }

  @Override
  double[] stepConstants(long step) {
    return null;
  }

  @Override
  void update(float[] param, float[] grad, float[][] slots, int len, double[] constants) {
    for (int i = 0; i < len; i++) {
      param[i] = (float) (param[i] - learningRate * grad[i]);
    }
  }

  @Override
  public String toString() {
    return "Sgd(lr=" + learningRate + ")";
  }
}
