package dev.logq.common.config;

import java.util.List;

/**
 * The settings a module above this one declares beside its own components (the job's output.*, run.*,
 * ...), so that a key read only there is declared there. The module lists its implementation in
 * {@code META-INF/services/dev.logq.common.config.ModuleSettings}; {@link ConfigSchema} appends its
 * settings after this module's, {@link JobConfig} reads them, builds the module's typed views and runs its
 * checks, and {@link ConfigDocuments} writes its keys' defaults to the module's own reference.conf.
 * Without the module on the class path (this module's own tests) its keys are unknown.
 */
public interface ModuleSettings {

  /** The module's settings, in the order the documents list them (after this module's). */
  List<Setting<?>> settings();

  /** The module's reference.conf, relative to the project root, which the documents generator writes. */
  String referenceConf();

  /**
   * The module's typed views of its settings (a view's own checks report to {@code r}), in the order
   * their problems should be listed; {@link JobConfig#view} returns them by class.
   */
  List<SettingsView> views(SettingReader r);

  /**
   * Checks across this module's keys and others' (read from {@code r}); run after every view is built,
   * within {@link JobConfig}'s own checks, only when the keys those name are valid.
   */
  default void check(SettingReader r) {}
}
