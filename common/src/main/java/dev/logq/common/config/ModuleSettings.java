package dev.logq.common.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The settings a module above this one declares beside its own components (the job's input.*, split.*,
 * output.*, ...), so that a key read only there is declared there. The module lists its implementation in
 * {@code META-INF/services/dev.logq.common.config.ModuleSettings}; {@link ConfigSchema} places each owner's
 * settings, {@link JobConfig} reads them, builds the owners' typed views and runs the module's checks, and
 * {@link ConfigDocuments} writes its keys' defaults to the module's own reference.conf. Without the module
 * on the class path (this module's own tests) its keys are unknown.
 */
public interface ModuleSettings {

  /**
   * One owner's settings (a section, or several read together) and its typed views.
   *
   * @param after    the setting they follow in the documents (one declared in this module; owners placed
   *                 after the same setting keep their order), or null for the end
   * @param views    builds the owner's views as the configuration loads (their own checks report to the
   *                 reader), right after this module's view that holds {@code after}, so that problems are
   *                 listed in the documents' order; {@link JobConfig#view} returns them by class
   */
  record Owner(Setting<?> after, List<Setting<?>> settings, Function<SettingReader, List<SettingsView>> views) {}

  /** The module's owners, in the order they are placed and their views built. */
  List<Owner> owners();

  /** The module's reference.conf, relative to the project root, which the documents generator writes. */
  String referenceConf();

  /** The module's settings, owner by owner. */
  default List<Setting<?>> settings() {
    List<Setting<?>> all = new ArrayList<>();
    owners().forEach(o -> all.addAll(o.settings()));
    return all;
  }

  /** Keys whose problems skip every check across keys (theirs are already reported). */
  default List<String> checkedKeys() {
    return List.of();
  }

  /**
   * Checks across this module's keys and others' (values from {@code r}, the views built so far by class);
   * run within {@link JobConfig}'s own checks, before the in-batch check.
   */
  default void check(SettingReader r, Map<Class<?>, SettingsView> views) {}
}
