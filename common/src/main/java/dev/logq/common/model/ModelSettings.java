package dev.logq.common.model;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import dev.logq.common.model.tower.UserTowers;
import java.util.ArrayList;
import java.util.List;

/**
 * model.*: the two towers ({@link ModelSpec}). The user tower's own keys are declared by each tower and
 * registered with it in {@link UserTowers} (with the tower's checks against these keys); this view carries
 * their values to the tower's factory. The rules between the fields are {@link ModelSpec}'s.
 */
public final class ModelSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  /** Its documentation is the registered towers' own lines, so a new tower documents itself. */
  public static final Setting<String> USER_TOWER = Setting.oneOf("model.userTower", "id", UserTowers::names,
      UserTowers.doc());
  public static final Setting<Integer> EMBEDDING_DIM = Setting.integer("model.embeddingDim", 64, 1, 65_536, """
      Dimension of the user and item embedding rows.""");
  public static final Setting<List<Integer>> USER_MLP = Setting.integers("model.userMlp", List.of(), 1, true, """
      Hidden layer sizes of the optional MLPs on top of the embeddings, e.g. [128]; [] for none.""");
  public static final Setting<List<Integer>> ITEM_MLP = Setting.integers("model.itemMlp", List.of(), 1, true, """
      As userMlp, for the item tower.""");
  public static final Setting<Integer> OUTPUT_DIM = Setting.integer("model.outputDim", 64, 1, 65_536, """
      Size of the towers' output (the retrieval embedding); must equal embeddingDim when there is no MLP.""");
  public static final Setting<Boolean> L2_NORMALIZE = Setting.flag("model.l2Normalize", true, """
      L2-normalise both towers' outputs (scores are then cosines / temperature).""");
  public static final Setting<Double> TEMPERATURE = Setting.number("model.temperature", 0.05, 0, false, Double.MAX_VALUE, true, """
      tau of LOSSES.md: scores are <f(u), g(i)> / temperature.""");
  public static final Setting<Double> INIT_STD = Setting.number("model.initStd", 0.1, 0, false, Double.MAX_VALUE, true, """
      Standard deviation of the initial embedding rows.""");

  /** model.*, the towers' keys after model.userTower (reference.conf's order). */
  public static final List<Setting<?>> SETTINGS;

  static {
    List<Setting<?>> all = new ArrayList<>();
    all.add(USER_TOWER);
    all.addAll(UserTowers.settings());
    all.addAll(List.of(EMBEDDING_DIM, USER_MLP, ITEM_MLP, OUTPUT_DIM, L2_NORMALIZE, TEMPERATURE, INIT_STD));
    SETTINGS = List.copyOf(all);
  }

  public ModelSettings(SettingReader r) {
    super(r, SETTINGS);
    UserTowers.check(userTower(), r);
    if (!ModelSpec.outputDimFits(embeddingDim(), userMlp(), itemMlp(), outputDim())) {
      r.problem("model.outputDim", outputDim(),
          "model.embeddingDim (" + embeddingDim() + "): a tower without an MLP (model.userMlp or model.itemMlp = [])"
              + " outputs its embedding");
    }
  }

  /**
   * A model spec builder preset with these settings (the user tower they name and the head's sizes); the
   * caller adds the catalog sizes and the seed. {@link ModelSpec.Builder#build()} checks the fields.
   */
  public ModelSpec.Builder spec() {
    return ModelSpec.builder()
        .userTower(UserTowers.fromConfig(this))
        .embeddingDim(embeddingDim())
        .userMlp(userMlp())
        .itemMlp(itemMlp())
        .outputDim(outputDim())
        .l2Normalize(get(L2_NORMALIZE))
        .temperature(temperature())
        .initStd(get(INIT_STD));
  }

  /** The registered name of the user tower, e.g. "id". */
  public String userTower() {
    return get(USER_TOWER);
  }

  public int embeddingDim() {
    return get(EMBEDDING_DIM);
  }

  /** Hidden layer sizes of the user MLP (a copy; empty: no MLP). */
  public int[] userMlp() {
    return ints(USER_MLP);
  }

  public int[] itemMlp() {
    return ints(ITEM_MLP);
  }

  public int outputDim() {
    return get(OUTPUT_DIM);
  }

  public double temperature() {
    return get(TEMPERATURE);
  }
}
