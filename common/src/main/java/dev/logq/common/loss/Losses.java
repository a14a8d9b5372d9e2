package dev.logq.common.loss;

import java.util.List;

/** Looks up a loss by the name used in configuration ({@code logq.loss.type}) and reports. */
public final class Losses {

  /** Every valid name, in the order reports list them. */
  public static final List<String> NAMES = List.of(
      NoCorrection.NAME, StandardLogQ.NAME, RefinedLogQ.NAME, FullSoftmax.NAME, UniformBce.NAME);

  private Losses() {}

  /** {@link #NAMES}: the values loss.type accepts. */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * @param name                    none, standard, refined, full or uniform-bce (exact, lower case)
   * @param standardCorrectPositive for "standard" only: also correct the positive's own column (see
   *                                {@link StandardLogQ}); ignored by the other losses
   * @throws IllegalArgumentException for any other name, listing the valid ones
   */
  public static Loss byName(String name, boolean standardCorrectPositive) {
    if (name != null) {
      switch (name) {
        case NoCorrection.NAME:
          return new NoCorrection();
        case StandardLogQ.NAME:
          return new StandardLogQ(standardCorrectPositive);
        case RefinedLogQ.NAME:
          return new RefinedLogQ();
        case FullSoftmax.NAME:
          return new FullSoftmax();
        case UniformBce.NAME:
          return new UniformBce();
        default:
          break;
      }
    }
    throw new IllegalArgumentException("unknown loss '" + name + "'; valid names: " + String.join(", ", NAMES));
  }
}
