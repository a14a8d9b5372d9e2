package dev.logq.common.loss;

import dev.logq.common.config.SettingValues;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of losses by the name used in configuration ({@code loss.type}) and reports: a new loss is its
 * class and one {@code register} line here that builds it from the resolved values of its settings (declared,
 * if it has any, in {@link LossSettings}).
 */
public final class Losses {

  /** A loss from the resolved values of its settings ({@code JobConfig} is such a view). */
  @FunctionalInterface
  private interface Factory extends Function<SettingValues, Loss> {}

  private static final Map<String, Factory> REGISTRY = new LinkedHashMap<>();

  static { // in the order reports list them
    register(NoCorrection.NAME, v -> new NoCorrection());
    register(StandardLogQ.NAME, v -> new StandardLogQ(v.get(LossSettings.STANDARD_CORRECT_POSITIVE)));
    register(RefinedLogQ.NAME, v -> new RefinedLogQ());
    register(FullSoftmax.NAME, v -> new FullSoftmax());
    register(UniformBce.NAME, v -> new UniformBce());
  }

  /** Every valid name, in the order reports list them. */
  public static final List<String> NAMES = List.copyOf(REGISTRY.keySet());

  private Losses() {}

  private static void register(String name, Factory factory) {
    if (REGISTRY.putIfAbsent(name, factory) != null) {
      throw new IllegalStateException("two losses named '" + name + "'");
    }
  }

  /** {@link #NAMES}: the values loss.type accepts. */
  public static List<String> names() {
    return Collections.unmodifiableList(NAMES);
  }

  /**
   * @param name   a registered name (exact, lower case)
   * @param values the resolved values of the loss's settings
   * @throws IllegalArgumentException for any other name, listing the valid ones
   */
  public static Loss create(String name, SettingValues values) {
    Factory factory = name == null ? null : REGISTRY.get(name);
    if (factory == null) {
      throw new IllegalArgumentException("unknown loss '" + name + "'; valid names: " + String.join(", ", NAMES));
    }
    return factory.apply(values);
  }

  /**
   * {@link #create} with loss.standardCorrectPositive given and any other loss setting at its default.
   *
   * @param name                    none, standard, refined, full or uniform-bce (exact, lower case)
   * @param standardCorrectPositive for "standard" only: also correct the positive's own column (see
   *                                {@link StandardLogQ}); ignored by the other losses
   */
  public static Loss byName(String name, boolean standardCorrectPositive) {
    return create(name, SettingValues.of(Map.of(LossSettings.STANDARD_CORRECT_POSITIVE, standardCorrectPositive)));
  }
}
