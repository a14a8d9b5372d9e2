package dev.logq.common.optim;

import dev.logq.common.config.Setting;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The registry of optimizers: train.optimizer names to their factories, and the optimizer settings
 * (train.optimizer .. train.epsilon) declared once here. Adding an optimizer: its class, one
 * {@link #register} line, and its settings (add them to {@link #SETTINGS}).
 */
public final class Optimizers {

  /** Builds an optimizer from the declared settings (each optimizer uses the ones it needs). */
  @FunctionalInterface
  private interface Factory {
    Optimizer create(double learningRate, double beta1, double beta2, double epsilon);
  }

  private static final Map<String, Factory> BY_NAME = new LinkedHashMap<>();

  static {
    register("adam", Adam::new);
    register("adagrad", (lr, beta1, beta2, epsilon) -> new Adagrad(lr, epsilon));
    register("sgd", (lr, beta1, beta2, epsilon) -> new Sgd(lr));
  }
  public static final Setting<String> OPTIMIZER = Setting.oneOf("train.optimizer", "adam", Optimizers::names, """
      adam | adagrad | sgd""");
  public static final Setting<Double> LEARNING_RATE = Setting.number("train.learningRate", 0.005, 0, false, Double.MAX_VALUE, true, """
      Step size of the optimizer.""");
  public static final Setting<Double> ADAM_BETA1 = Setting.number("train.adamBeta1", 0.9, 0, true, 1, false, """
      adam: decay of the first-moment average.""");
  public static final Setting<Double> ADAM_BETA2 = Setting.number("train.adamBeta2", 0.999, 0, true, 1, false, """
      adam: decay of the second-moment average.""");
  public static final Setting<Double> EPSILON = Setting.number("train.epsilon", 1e-8, 0, false, Double.MAX_VALUE, true, """
      adam/adagrad: added to the denominator for stability.""");

  /** The optimizer's keys, in reference.conf's order (inside train.*). */
  public static final List<Setting<?>> SETTINGS = List.of(OPTIMIZER, LEARNING_RATE, ADAM_BETA1, ADAM_BETA2, EPSILON);

  private Optimizers() {}

  private static void register(String name, Factory factory) {
    BY_NAME.put(name, factory);
  }

  /** Every registered name (the values train.optimizer accepts), in registration order. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /**
   * @param name adam, adagrad or sgd (case-insensitive)
   * @param beta1 Adam only
   * @param beta2 Adam only
   * @param epsilon Adam and Adagrad
   */
  public static Optimizer create(String name, double learningRate, double beta1, double beta2, double epsilon) {
    Factory factory = BY_NAME.get(name == null ? "" : name.trim().toLowerCase(Locale.ROOT));
    if (factory == null) {
      List<String> names = names();
      throw new IllegalArgumentException("train.optimizer: unknown optimizer '" + name + "' (expected "
          + String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1) + ")");
    }
    return factory.create(learningRate, beta1, beta2, epsilon);
  }
}
