package dev.logq.common.config;

/** Typed values of declared settings ({@link JobConfig}, or the reader while a configuration loads). */
public interface SettingValues {
  <T> T get(Setting<T> setting);
}
