package dev.logq.common.loss;

/**
 * Test utility: a {@link Loss} that forwards everything to {@code inner}; tests override
 * {@link #lossAndGradient} to record the logits a model built or to replace the loss by a surrogate, and keep
 * the inner loss's name (which decides a model's column choice), layout and candidate columns.
 */
public class ForwardingLoss implements Loss {

  private static final long serialVersionUID = 1L;

  protected final Loss inner;

  public ForwardingLoss(Loss inner) {
    this.inner = inner;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public Logits.Layout layout() {
    return inner.layout();
  }

  @Override
  public Candidates candidates(int uniformNegatives) {
    return inner.candidates(uniformNegatives);
  }

  @Override
  public double lossAndGradient(Logits logits, float[] gradScores) {
    return inner.lossAndGradient(logits, gradScores);
  }
}
