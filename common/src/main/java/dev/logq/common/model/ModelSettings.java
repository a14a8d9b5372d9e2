package dev.logq.common.model;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingValues;
import dev.logq.common.model.tower.SequenceSettings;
import dev.logq.common.model.tower.SequenceTower;
import dev.logq.common.model.tower.UserTowers;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * model.*: the two towers ({@link ModelSpec}). The user tower's own keys are declared by each tower and
 * registered with it in {@link UserTowers}; this view carries their values to the tower's factory.
 */
public final class ModelSettings implements Serializable, SettingValues {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> USER_TOWER = Setting.oneOf("model.userTower", "id", UserTowers::names, """
      id: a learned embedding per user. history: pooled embeddings of the user's last
      historyLength items before the target (serves users unseen in training). sequence: a SASRec-style
      causal transformer over windows of the user's items, trained on every position (each position's
      positive is the next item); embeds a user from their last sequenceLength items (serves unseen users).""");
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

  private final String userTower;
  /** The typed values of every tower's settings, for {@link UserTowers#create}. */
  private final Map<String, Object> towerValues = new LinkedHashMap<>();
  private final int embeddingDim;
  private final int[] userMlp;
  private final int[] itemMlp;
  private final int outputDim;
  private final boolean l2Normalize;
  private final double temperature;
  private final double initStd;

  public ModelSettings(SettingReader r) {
    userTower = r.get(USER_TOWER);
    for (Setting<?> s : UserTowers.settings()) {
      towerValues.put(s.key(), r.get(s));
    }
    embeddingDim = r.get(EMBEDDING_DIM);
    userMlp = r.get(USER_MLP).stream().mapToInt(Integer::intValue).toArray();
    itemMlp = r.get(ITEM_MLP).stream().mapToInt(Integer::intValue).toArray();
    outputDim = r.get(OUTPUT_DIM);
    l2Normalize = r.get(L2_NORMALIZE);
    temperature = r.get(TEMPERATURE);
    initStd = r.get(INIT_STD);
    int heads = get(SequenceSettings.SEQUENCE_HEADS);
    if (userTower.equals(SequenceTower.NAME) && embeddingDim % heads != 0) {
      r.problem("model.sequenceHeads", heads,
          "a divisor of model.embeddingDim (" + embeddingDim + "): each head attends over embeddingDim / heads");
    }
    if ((userMlp.length == 0 || itemMlp.length == 0) && outputDim != embeddingDim) {
      r.problem("model.outputDim", outputDim,
          "model.embeddingDim (" + embeddingDim + "): a tower without an MLP (model.userMlp or model.itemMlp = [])"
              + " outputs its embedding");
    }
  }

  /** A user tower's setting: the towers' factories read theirs through this, so a new tower adds no accessor here. */
  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    if (!towerValues.containsKey(setting.key())) {
      throw new IllegalArgumentException(setting.key() + " is not a setting of a registered user tower");
    }
    return (T) towerValues.get(setting.key());
  }

  /** The registered name of the user tower, e.g. "id". */
  public String userTower() {
    return userTower;
  }

  public int embeddingDim() {
    return embeddingDim;
  }

  /** Hidden layer sizes of the user MLP (a copy; empty: no MLP). */
  public int[] userMlp() {
    return userMlp.clone();
  }

  public int[] itemMlp() {
    return itemMlp.clone();
  }

  public int outputDim() {
    return outputDim;
  }

  public boolean l2Normalize() {
    return l2Normalize;
  }

  public double temperature() {
    return temperature;
  }

  public double initStd() {
    return initStd;
  }
}
