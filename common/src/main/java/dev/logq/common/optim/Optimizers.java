package dev.logq.common.optim;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of optimizers: train.optimizer names to their factories and their settings. Adding an
 * optimizer: its class with its hyper-parameters declared beside it (as {@link Adam#BETA1}), and one
 * {@link #register} line naming its settings and building it from their resolved values. The keys every
 * optimizer reads ({@link #LEARNING_RATE}) and those several share ({@link #EPSILON}) are declared here.
 */
public final class Optimizers {

  public static final Setting<Double> LEARNING_RATE = Setting.number("train.learningRate", 0.005, 0, false, Double.MAX_VALUE, true, """
      Step size of the optimizer.""");
  public static final Setting<Double> EPSILON = Setting.number("train.epsilon", 1e-8, 0, false, Double.MAX_VALUE, true, """
      adam/adagrad: added to the denominator for stability.""");

  /** An optimizer's own settings and how it is built from the resolved values of its settings. */
  private record Entry(List<Setting<?>> settings, Function<SettingValues, Optimizer> factory) {}

  private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();

  static {
    register("adam", List.of(Adam.BETA1, Adam.BETA2, EPSILON),
        v -> new Adam(v.get(LEARNING_RATE), v.get(Adam.BETA1), v.get(Adam.BETA2), v.get(EPSILON)));
    register("adagrad", List.of(EPSILON), v -> new Adagrad(v.get(LEARNING_RATE), v.get(EPSILON)));
    register("sgd", List.of(), v -> new Sgd(v.get(LEARNING_RATE)));
  }

  /** Its documentation lists the registered names, so a new optimizer documents itself. */
  public static final Setting<String> OPTIMIZER = Setting.oneOf("train.optimizer", "adam", Optimizers::names,
      String.join(" | ", BY_NAME.keySet()));

  /**
   * The optimizers' keys, in reference.conf's order (inside train.*): train.optimizer, train.learningRate,
   * then each optimizer's settings in registration order, a shared one at its first registration.
   */
  public static final List<Setting<?>> SETTINGS;

  static {
    List<Setting<?>> all = new ArrayList<>(List.of(OPTIMIZER, LEARNING_RATE));
    for (Entry e : BY_NAME.values()) {
      e.settings().stream().filter(s -> !all.contains(s)).forEach(all::add);
    }
    SETTINGS = List.copyOf(all);
  }

  private Optimizers() {}

  private static void register(String name, List<Setting<?>> settings, Function<SettingValues, Optimizer> factory) {
    if (BY_NAME.putIfAbsent(name, new Entry(settings, factory)) != null) {
      throw new IllegalStateException("two optimizers named '" + name + "'");
    }
  }

  /** Every registered name (the values train.optimizer accepts), in registration order. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /** The settings the optimizer {@code name} reads besides train.learningRate (for provenance). */
  public static List<Setting<?>> settingsOf(String name) {
    return entry(name).settings();
  }

  /**
   * The optimizer {@code name} (case-insensitive), built from the resolved values of its settings
   * ({@link dev.logq.common.config.JobConfig} is such a view).
   */
  public static Optimizer create(String name, SettingValues values) {
    return entry(name).factory().apply(values);
  }

  /**
   * The optimizer {@code name} with the built-in hyper-parameters given and every other setting at its
   * default (tests and benchmarks; the job passes its configuration to {@link #create(String, SettingValues)}).
   *
   * @param beta1 Adam only
   * @param beta2 Adam only
   * @param epsilon Adam and Adagrad
   */
  public static Optimizer create(String name, double learningRate, double beta1, double beta2, double epsilon) {
    return create(name, SettingValues.of(Map.of(LEARNING_RATE, learningRate, Adam.BETA1, beta1, Adam.BETA2, beta2,
        EPSILON, epsilon)));
  }

  private static Entry entry(String name) {
    Entry entry = BY_NAME.get(name == null ? "" : name.trim().toLowerCase(Locale.ROOT));
    if (entry == null) {
      List<String> names = names();
      throw new IllegalArgumentException("train.optimizer: unknown optimizer '" + name + "' (expected "
          + String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1) + ")");
    }
    return entry;
  }
}
