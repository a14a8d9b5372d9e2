package dev.logq.common.optim;

import java.util.Locale;

/** Builds an {@link Optimizer} from its config name (train.optimizer). */
public final class Optimizers {

  private Optimizers() {}

  /**
   * @param name adam, adagrad or sgd (case-insensitive)
   * @param beta1 Adam only
   * @param beta2 Adam only
   * @param epsilon Adam and Adagrad
   */
  public static Optimizer create(String name, double learningRate, double beta1, double beta2, double epsilon) {
    String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    switch (key) {
      case "adam":
        return new Adam(learningRate, beta1, beta2, epsilon);
      case "adagrad":
        return new Adagrad(learningRate, epsilon);
      case "sgd":
        return new Sgd(learningRate);
      default:
        throw new IllegalArgumentException("train.optimizer: unknown optimizer '" + name
            + "' (expected adam, adagrad or sgd)");
    }
  }
}
