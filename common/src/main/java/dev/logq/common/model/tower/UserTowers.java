package dev.logq.common.model.tower;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of user towers: {@code model.userTower} names to the code that builds the tower from its
 * declared settings. Resolved once, on the driver; the resulting {@link UserTower} (a serializable value)
 * is what the model spec and the training plan carry to the executors. The configuration's list of valid
 * names and of tower keys both come from here.
 *
 * <p>Adding a tower: its class, its {@link Setting}s beside it (with its checks against the model's keys, if
 * any), and one {@link #register} line below.
 */
public final class UserTowers {

  /**
   * A tower's checks of its settings against the model's other keys (e.g. model.embeddingDim), reported to
   * the reader as the configuration loads.
   */
  @FunctionalInterface
  public interface Check {
    void check(SettingReader r);
  }

  private record Entry(String doc, List<Setting<?>> settings, Function<SettingValues, UserTower> factory, Check check) {}

  private static final Map<String, Entry> BY_NAME = new LinkedHashMap<>();

  static {
    register(IdTower.NAME, IdTower.DOC, List.of(), v -> new IdTower());
    register(HistoryTower.NAME, HistoryTower.DOC, HistoryTower.SETTINGS,
        v -> new HistoryTower(v.get(HistoryTower.HISTORY_LENGTH), v.get(HistoryTower.HISTORY_POOLING)));
    register(SequenceTower.NAME, SequenceSettings.DOC, SequenceSettings.SETTINGS, SequenceSettings::tower,
        SequenceSettings::check);
  }

  private UserTowers() {}

  private static void register(String name, String doc, List<Setting<?>> settings,
                               Function<SettingValues, UserTower> factory) {
    register(name, doc, settings, factory, r -> { });
  }

  /** @param doc the tower's lines in model.userTower's documentation ("name: what it is ...") */
  private static void register(String name, String doc, List<Setting<?>> settings,
                               Function<SettingValues, UserTower> factory, Check check) {
    if (BY_NAME.putIfAbsent(name, new Entry(doc, settings, factory, check)) != null) {
      throw new IllegalStateException("two user towers named '" + name + "'");
    }
  }

  /** Runs the checks the tower {@code name} registered (none for an unknown name: the name's own problem says it). */
  public static void check(String name, SettingReader r) {
    Entry entry = BY_NAME.get(name);
    if (entry != null) {
      entry.check().check(r);
    }
  }

  /** Every registered name, in registration order. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /** model.userTower's documentation: every tower's lines, in registration order. */
  public static String doc() {
    List<String> docs = new ArrayList<>();
    BY_NAME.values().forEach(e -> docs.add(e.doc().strip()));
    return String.join("\n", docs);
  }

  /** Every tower's settings, in registration order (the model.* keys the towers own). */
  public static List<Setting<?>> settings() {
    List<Setting<?>> all = new ArrayList<>();
    BY_NAME.values().forEach(e -> all.addAll(e.settings()));
    return all;
  }

  /**
   * The tower {@code name} (case-insensitive) with its settings read from {@code values}; fails naming the
   * key and listing the known names.
   */
  public static UserTower create(String name, SettingValues values) {
    Entry entry = BY_NAME.get(name == null ? "" : name.trim().toLowerCase(Locale.ROOT));
    if (entry == null) {
      throw new IllegalArgumentException("model.userTower: unknown value '" + name + "' (expected one of "
          + String.join(", ", BY_NAME.keySet()) + ")");
    }
    return entry.factory().apply(values);
  }

  /**
   * The settings of the tower {@code model.userTower} names as spec.json and provenance record them:
   * {@code userTower}, then each of its declared keys (without the "model." prefix) with its value
   * (an enumerated value by its configuration name). Written from the declarations, so a new setting of
   * a tower reaches spec.json without further code.
   */
  public static Map<String, Object> describe(dev.logq.common.model.ModelSettings model) {
    Entry entry = BY_NAME.get(model.userTower());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("userTower", model.userTower());
    for (Setting<?> s : entry.settings()) {
      out.put(s.key().substring(s.key().lastIndexOf('.') + 1), Setting.recorded(model.get(s)));
    }
    return out;
  }

  /** The tower {@code model.userTower} names. */
  public static UserTower fromConfig(dev.logq.common.model.ModelSettings model) {
    return create(model.userTower(), model);
  }
}
