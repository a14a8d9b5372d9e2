package dev.logq.common.config;

import java.util.Map;

/** Typed values of declared settings ({@link JobConfig}, or the reader while a configuration loads). */
public interface SettingValues {
  <T> T get(Setting<T> setting);

  /**
   * {@code values} where given, every other setting at its declared default: for code that builds a
   * component without a configuration (tests, benchmarks).
   */
  static SettingValues of(Map<Setting<?>, ?> values) {
    Map<Setting<?>, Object> copy = Map.copyOf(values);
    return new SettingValues() {
      @Override
      @SuppressWarnings("unchecked")
      public <T> T get(Setting<T> setting) {
        return copy.containsKey(setting) ? (T) copy.get(setting) : setting.defaultValue();
      }
    };
  }
}
