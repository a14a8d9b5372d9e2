package dev.logq.common.config;

import dev.logq.common.data.SyntheticSettings;
import dev.logq.common.eval.EvaluationSettings;
import dev.logq.common.loss.LossSettings;
import dev.logq.common.model.ModelSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Every declared {@link Setting}, in the order the documents list them: one line per owner's settings in
 * this module, with the owners of the modules above it found on the class path ({@link ModuleSettings})
 * placed among them.
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
    all.addAll(SyntheticSettings.SETTINGS);
    all.addAll(ModelSettings.SETTINGS);
    all.addAll(LossSettings.SETTINGS);
    all.addAll(TrainSettings.SETTINGS);
    all.addAll(EvaluationSettings.SETTINGS);
    COMMON = List.copyOf(all);
    List<ModuleSettings> modules = new ArrayList<>();
    ServiceLoader.load(ModuleSettings.class, ModuleSettings.class.getClassLoader()).forEach(modules::add);
    MODULES = List.copyOf(modules);
    // each module owner right after its anchor (after the owners placed there before it), or at the end
    Map<Setting<?>, Setting<?>> lastPlacedAfter = new HashMap<>();
    for (ModuleSettings m : modules) {
      for (ModuleSettings.Owner o : m.owners()) {
        Setting<?> anchor = o.after();
        int at = all.size();
        if (anchor != null) {
          at = all.indexOf(lastPlacedAfter.getOrDefault(anchor, anchor)) + 1;
          if (at == 0) {
            throw new IllegalStateException(o.settings().get(0).key() + " is placed after an undeclared setting: " + anchor.key());
          }
          lastPlacedAfter.put(anchor, o.settings().get(o.settings().size() - 1));
        }
        all.addAll(at, o.settings());
      }
    }
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

  /** The settings {@code module} declares, in the documents' order (its reference.conf's). */
  public static List<Setting<?>> of(ModuleSettings module) {
    List<Setting<?>> own = module.settings();
    return ALL.stream().filter(own::contains).toList();
  }

  /** Every setting, in the documents' order (this module's with each module's placed among them). */
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
