package dev.logq.common.loss;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import java.util.List;

/** loss.*: which loss of LOSSES.md ({@link Losses} names them) and its options. */
public final class LossSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  /** Its documentation lists the registered names, so a new loss documents itself. */
  public static final Setting<String> TYPE = Setting.oneOf("loss.type", "refined", Losses::names,
      String.join(" | ", Losses.names()));
  public static final Setting<Boolean> STANDARD_CORRECT_POSITIVE = Setting.flag("loss.standardCorrectPositive", true, """
      standard only: true corrects every column, the positive's own included (Yi et al. eq. 4);
      false corrects only the negatives (the authors' baseline code).""");
  public static final Setting<Integer> UNIFORM_NEGATIVES = Setting.integer("loss.uniformNegatives", 0, 0, 1_000_000, """
      Mixed negatives for none/standard/refined: extra negatives per local batch drawn uniformly
      from the catalog, their proposal probability accounted for. 0 disables.""");
  public static final Setting<Negatives> NEGATIVES = Setting.choice("loss.negatives", Negatives.LOCAL, """
      Whose batch items are a row's in-batch negatives (none/standard/refined): local, the worker's
      own batch of train.batchSize; or global, the distinct items of every worker's batch of the step
      (train.workers x train.batchSize), the same columns one worker would score on the concatenated
      batch, the same model on any executor layout. global needs train.syncEvery = 1 and
      loss.uniformNegatives = 0; it costs an exchange of the batch item ids per round and a score
      matrix train.workers times as wide (docs/benchmarks.md).""");
  public static final Setting<Integer> BCE_NEGATIVES = Setting.integer("loss.bceNegatives", 8, 1, 1_000_000, """
      uniform-bce: negatives per positive.""");

  public static final List<Setting<?>> SETTINGS = List.of(TYPE, STANDARD_CORRECT_POSITIVE, UNIFORM_NEGATIVES,
      NEGATIVES, BCE_NEGATIVES);

  public LossSettings(SettingReader r) {
    super(r, SETTINGS);
  }

  /** The loss's registered name ({@link Losses#names()}), e.g. "refined". */
  public String type() {
    return get(TYPE);
  }

  public boolean standardCorrectPositive() {
    return get(STANDARD_CORRECT_POSITIVE);
  }

  public int uniformNegatives() {
    return get(UNIFORM_NEGATIVES);
  }

  public Negatives negatives() {
    return get(NEGATIVES);
  }

  public int bceNegatives() {
    return get(BCE_NEGATIVES);
  }
}
