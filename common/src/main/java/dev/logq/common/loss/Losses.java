package dev.logq.common.loss;

import dev.logq.common.config.SettingValues;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The registry of losses by the name used in configuration ({@code loss.type}) and reports: a new loss is its
 * class and one {@code register} line here that builds it from the resolved values of its settings (declared,
 * if it has any, in {@link LossSettings}) and, for a loss that draws its own per-row negatives, names the key
 * that counts them.
 */
public final class Losses {

  /** A loss from the resolved values of its settings ({@code JobConfig} is such a view). */
  @FunctionalInterface
  private interface Factory extends Function<SettingValues, Loss> {}

  /** A registered loss: how it is built and how many extra negatives it draws (see {@link #negatives}). */
  private record Entry(Factory factory, ToIntFunction<SettingValues> negatives) {}

  private static final Map<String, Entry> REGISTRY = new LinkedHashMap<>();

  static { // in the order reports list them
    register(NoCorrection.NAME, v -> new NoCorrection());
    register(StandardLogQ.NAME, v -> new StandardLogQ(v.get(LossSettings.STANDARD_CORRECT_POSITIVE)));
    register(RefinedLogQ.NAME, v -> new RefinedLogQ());
    register(FullSoftmax.NAME, v -> new FullSoftmax());
    register(UniformBce.NAME, v -> new UniformBce(), v -> v.get(LossSettings.BCE_NEGATIVES));
  }

  /** Every valid name, in the order reports list them. */
  public static final List<String> NAMES = List.copyOf(REGISTRY.keySet());

  private Losses() {}

  /** A loss whose extra negatives are the batch's loss.uniformNegatives. */
  private static void register(String name, Factory factory) {
    register(name, factory, v -> v.get(LossSettings.UNIFORM_NEGATIVES));
  }

  /**
   * @param negatives the count of extra uniform negatives the loss draws, read from its own key (a lambda:
   *                  LossSettings may still be initialising while this registry fills)
   */
  private static void register(String name, Factory factory, ToIntFunction<SettingValues> negatives) {
    if (REGISTRY.putIfAbsent(name, new Entry(factory, negatives)) != null) {
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
    return entry(name).factory().apply(values);
  }

  /**
   * The extra uniform negatives the loss {@code name} draws ({@link Loss#candidates}' argument): per local
   * batch (loss.uniformNegatives) or, for a loss registered with its own key, per row (loss.bceNegatives).
   */
  public static int negatives(String name, SettingValues values) {
    return entry(name).negatives().applyAsInt(values);
  }

  private static Entry entry(String name) {
    Entry entry = name == null ? null : REGISTRY.get(name);
    if (entry == null) {
      throw new IllegalArgumentException("unknown loss '" + name + "'; valid names: " + String.join(", ", NAMES));
    }
    return entry;
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
