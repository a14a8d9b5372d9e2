package dev.logq.common.config;

import dev.logq.common.data.SyntheticSettings;
import dev.logq.common.eval.EvaluationSettings;
import dev.logq.common.loss.LossSettings;
import dev.logq.common.model.ModelSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Every declared {@link Setting}, in the order the documents list them: one line per owner's settings in
 * this module, then the settings of the modules above it found on the class path ({@link ModuleSettings}).
 * A new key is declared in its owner's list (no line here); a new owner in this module adds its list here,
 * one in the job adds it to the job's {@code JobSettings}.
 */
public final class ConfigSchema {

  private static final List<Setting<?>> COMMON;
  private static final List<ModuleSettings> MODULES;
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
    COMMON = List.copyOf(all);
    List<ModuleSettings> modules = new ArrayList<>();
    ServiceLoader.load(ModuleSettings.class, ModuleSettings.class.getClassLoader()).forEach(modules::add);
    MODULES = List.copyOf(modules);
    modules.forEach(m -> all.addAll(m.settings()));
    for (Setting<?> s : all) {
      if (BY_KEY.put(s.key(), s) != null) {
        throw new IllegalStateException("configuration key declared twice: " + s.key());
      }
    }
    ALL = List.copyOf(all);
  }

  private ConfigSchema() {}

  /** This module's settings, in its reference.conf's order. */
  public static List<Setting<?>> common() {
    return COMMON;
  }

  /** The modules above this one that declare settings, in class-path order. */
  public static List<ModuleSettings> modules() {
    return MODULES;
  }

  /** Every setting, in the documents' order (this module's, then each module's). */
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
