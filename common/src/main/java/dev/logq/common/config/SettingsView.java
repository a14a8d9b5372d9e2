package dev.logq.common.config;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The typed values of one owner's declared settings (a section such as train.*), read once when the
 * configuration loads. A subclass passes its {@code SETTINGS} list, adds its checks across keys in its
 * constructor, and gives each key that many places read a one-line accessor ({@code get(BATCH_SIZE)}); a
 * key read in one place needs none ({@code config.get(SETTING)}).
 */
public abstract class SettingsView implements SettingValues, Serializable {
  private static final long serialVersionUID = 1L;

  /** key -> typed value, in declaration order (values are immutable: boxed numbers, strings, enums, lists). */
  private final Map<String, Object> values = new LinkedHashMap<>();

  protected SettingsView(SettingValues r, List<Setting<?>> settings) {
    for (Setting<?> s : settings) {
      values.put(s.key(), r.get(s));
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    if (!values.containsKey(setting.key())) {
      throw new IllegalArgumentException(setting.key() + " is not a setting of " + getClass().getSimpleName());
    }
    return (T) values.get(setting.key());
  }

  /** An integer list setting as an array (a fresh copy). */
  protected int[] ints(Setting<List<Integer>> setting) {
    return get(setting).stream().mapToInt(Integer::intValue).toArray();
  }
}
