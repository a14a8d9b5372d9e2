package dev.logq.common.loss;

import dev.logq.common.config.Named;
import java.util.Locale;

/**
 * Whose batch items an in-batch loss takes as its negatives ({@code loss.negatives}): the worker's own local
 * batch, or the global batch of the step, every worker's batch items (see {@link Candidates#chooseInRound}).
 */
public enum Negatives implements Named {
  /** Each worker's rows are scored against the distinct items of its own local batch. */
  LOCAL,
  /** Each worker's rows are scored against the distinct items of all workers' batches of the step. */
  GLOBAL;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
