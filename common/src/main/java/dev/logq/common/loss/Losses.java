package dev.logq.common.loss;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of losses by the name used in configuration ({@code loss.type}) and reports: a new loss is its
 * class and one {@code register} line here (its settings, if any, in {@link LossSettings}).
 */
public final class Losses {

  /** A loss from its options; {@code standardCorrectPositive} is read by "standard" only. */
  @FunctionalInterface
  private interface Factory extends Function<Boolean, Loss> {}

  private static final Map<String, Factory> REGISTRY = new LinkedHashMap<>();

  static { // in the order reports list them
    register(NoCorrection.NAME, correctPositive -> new NoCorrection());
    register(StandardLogQ.NAME, StandardLogQ::new);
    register(RefinedLogQ.NAME, correctPositive -> new RefinedLogQ());
    register(FullSoftmax.NAME, correctPositive -> new FullSoftmax());
    register(UniformBce.NAME, correctPositive -> new UniformBce());
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
   * @param name                    none, standard, refined, full or uniform-bce (exact, lower case)
   * @param standardCorrectPositive for "standard" only: also correct the positive's own column (see
   *                                {@link StandardLogQ}); ignored by the other losses
   * @throws IllegalArgumentException for any other name, listing the valid ones
   */
  public static Loss byName(String name, boolean standardCorrectPositive) {
    Factory factory = name == null ? null : REGISTRY.get(name);
    if (factory == null) {
      throw new IllegalArgumentException("unknown loss '" + name + "'; valid names: " + String.join(", ", NAMES));
    }
    return factory.apply(standardCorrectPositive);
  }
}
