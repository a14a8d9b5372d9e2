package dev.logq.common.config;

import dev.logq.common.data.SyntheticSettings;
import dev.logq.common.eval.EvaluationSettings;
import dev.logq.common.loss.LossSettings;
import dev.logq.common.model.ModelSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every declared {@link Setting}, in the order reference.conf lists them: one line per owner's settings.
 * A new key is declared in its owner's list (no line here); a new owner adds its list here.
 */
public final class ConfigSchema {

  private static final List<Setting<?>> ALL;
  private static final Map<String, Setting<?>> BY_KEY = new LinkedHashMap<>();

  static {
    List<Setting<?>> all = new ArrayList<>();
    all.add(JobConfig.MODE);
    all.addAll(InputSettings.SETTINGS);
    all.addAll(SyntheticSettings.SETTINGS);
    all.addAll(SplitSettings.SETTINGS);
    all.addAll(ModelSettings.SETTINGS);
    all.addAll(LossSettings.SETTINGS);
    all.addAll(TrainSettings.SETTINGS);
    all.addAll(EvaluationSettings.SETTINGS);
    all.addAll(RecommendSettings.SETTINGS);
    all.addAll(OutputSettings.SETTINGS);
    all.addAll(RunSettings.SETTINGS);
    all.addAll(SparkSettings.SETTINGS);
    for (Setting<?> s : all) {
      if (BY_KEY.put(s.key(), s) != null) {
        throw new IllegalStateException("configuration key declared twice: " + s.key());
      }
    }
    ALL = List.copyOf(all);
  }

  private ConfigSchema() {}

  /** Every setting, in reference.conf's order. */
  public static List<Setting<?>> settings() {
    return ALL;
  }

  /** Every key, in reference.conf's order. */
  public static List<String> keys() {
    return List.copyOf(BY_KEY.keySet());
  }

  /** The setting declared for {@code key}, or null. */
  public static Setting<?> find(String key) {
    return BY_KEY.get(key);
  }
}
