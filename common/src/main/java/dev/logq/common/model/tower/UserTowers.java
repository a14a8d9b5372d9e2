package dev.logq.common.model.tower;

import dev.logq.common.config.JobConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of user towers: {@code model.userTower} names to the code that builds the tower from its
 * settings. Resolved once, on the driver; the resulting {@link UserTower} (a serializable value) is what
 * the model spec and the training plan carry to the executors.
 *
 * <p>Adding a tower: its class, one {@link #register} line below, and its settings.
 */
public final class UserTowers {

  private static final Map<String, Function<JobConfig.Model, UserTower>> BY_NAME = new LinkedHashMap<>();

  static {
    register(IdTower.NAME, m -> new IdTower());
    register(HistoryTower.NAME, m -> new HistoryTower(m.historyLength(),
        HistoryPooling.parse(m.historyPooling().configName())));
    register(SequenceTower.NAME, m -> new SequenceTower(m.sequenceLength(), m.sequenceBlocks(), m.sequenceHeads(),
        m.sequenceHidden(), m.sequenceDropout(), m.sequenceSharedEmbeddings(), m.sequenceStride()));
  }

  private UserTowers() {}

  private static void register(String name, Function<JobConfig.Model, UserTower> factory) {
    BY_NAME.put(name, factory);
  }

  /** Every registered name, in registration order. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /**
   * The tower {@code name} (case-insensitive) with the settings of {@code model}; fails naming the key and
   * listing the known names.
   */
  public static UserTower create(String name, JobConfig.Model model) {
    Function<JobConfig.Model, UserTower> factory = BY_NAME.get(name == null ? "" : name.trim().toLowerCase(Locale.ROOT));
    if (factory == null) {
      throw new IllegalArgumentException("model.userTower: unknown value '" + name + "' (expected one of "
          + String.join(", ", BY_NAME.keySet()) + ")");
    }
    return factory.apply(model);
  }

  /** The tower {@code model.userTower} names. */
  public static UserTower fromConfig(JobConfig.Model model) {
    return create(model.userTower().configName(), model);
  }
}
