package dev.logq.common.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * One configuration key, declared once beside the component that owns it: its name, its default, its
 * documentation and how its value is read and validated (as Spark ML declares a {@code Param}). The
 * {@link ConfigSchema} lists every declaration; {@link JobConfig} reads through them, and
 * reference.conf, conf/logq.conf and README's table are generated from them ({@link ConfigDocuments}).
 *
 * @param <T> the value's type as {@link JobConfig#get} returns it
 */
public final class Setting<T> {

  /** Reads the value of {@code key}, reporting problems to the reader and returning a fallback then. */
  @FunctionalInterface
  interface Read<T> {
    T read(SettingReader r, String key);
  }

  private final String key;
  private final T defaultValue;
  private final String doc;
  /** Lines appended to {@link #doc} when asked: a registry's per-value lines, possibly in a module above. */
  private final Supplier<String> moreDoc;
  private final Read<T> read;

  private Setting(String key, T defaultValue, String doc, Read<T> read) {
    this(key, defaultValue, doc, () -> "", read);
  }

  private Setting(String key, T defaultValue, String doc, Supplier<String> moreDoc, Read<T> read) {
    if (doc == null || doc.isBlank()) {
      throw new IllegalArgumentException(key + ": a setting needs its documentation");
    }
    this.key = key;
    this.defaultValue = defaultValue;
    this.doc = doc.strip();
    this.moreDoc = moreDoc;
    this.read = read;
  }

  /** The key relative to the {@code logq} root, e.g. "train.batchSize". */
  public String key() {
    return key;
  }

  public T defaultValue() {
    return defaultValue;
  }

  /** The documentation, one comment line per line (as the generated files write it). */
  public String doc() {
    String more = moreDoc.get().strip();
    return more.isEmpty() ? doc : doc + "\n" + more;
  }

  T read(SettingReader r) {
    return read.read(r, key);
  }

  /** The default as HOCON text, e.g. {@code "adam"}, {@code 1e-8}, {@code [1, 10]}. */
  public String defaultText() {
    return render(defaultValue);
  }

  /** A typed value as the effective configuration records it (an enumerated value by its configuration name). */
  public static Object recorded(Object typed) {
    return typed instanceof Named n ? n.configName() : typed;
  }

  static String render(Object v) {
    if (v instanceof Named n) {
      return quote(n.configName());
    }
    if (v instanceof String s) {
      return quote(s);
    }
    if (v instanceof Double d) {
      // 1.0E-8 -> 1e-8; 0.005 and 1.0 stay as written
      return Double.toString(d).replace(".0E", "e").replace("E", "e");
    }
    if (v instanceof List<?> list) {
      List<String> items = new ArrayList<>();
      list.forEach(item -> items.add(render(item)));
      return "[" + String.join(", ", items) + "]";
    }
    return String.valueOf(v);
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public String toString() {
    return key + " = " + defaultText();
  }

  // ---------------------------------------------------------------------------------------------
  // Declarations by kind (each reads and validates as the matching SettingReader method)

  /** Any string (trimmed). */
  public static Setting<String> text(String key, String defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, (r, k) -> r.string(k).trim());
  }

  /** A string as written (not trimmed); for values the owner validates itself. */
  public static Setting<String> rawText(String key, String defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, SettingReader::string);
  }

  /** A non-blank string (trimmed). */
  public static Setting<String> nonEmptyText(String key, String defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, (r, k) -> r.nonEmptyString(k).trim());
  }

  public static Setting<Boolean> flag(String key, boolean defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, SettingReader::bool);
  }

  /** An int in [min, max]. */
  public static Setting<Integer> integer(String key, int defaultValue, int min, int max, String doc) {
    return new Setting<>(key, defaultValue, doc, (r, k) -> r.intValue(k, min, max));
  }

  /** Any long (seeds). */
  public static Setting<Long> longInteger(String key, long defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, (r, k) -> r.longValue(k, Long.MIN_VALUE, Long.MAX_VALUE));
  }

  /** A finite number between min and max, each bound inclusive or not ({@code Double.MAX_VALUE}: none). */
  public static Setting<Double> number(String key, double defaultValue, double min, boolean minInclusive,
                                       double max, boolean maxInclusive, String doc) {
    return new Setting<>(key, defaultValue, doc, (r, k) -> r.doubleValue(k, min, minInclusive, max, maxInclusive));
  }

  /** A list of ints >= min. */
  public static Setting<List<Integer>> integers(String key, List<Integer> defaultValue, int min, boolean allowEmpty,
                                                String doc) {
    return new Setting<>(key, List.copyOf(defaultValue), doc, (r, k) -> r.intList(k, min, allowEmpty));
  }

  /**
   * One of the names a registry knows (case-insensitive; the value is the registered spelling). The
   * names are asked for at read time, so the registry is the only list of them.
   */
  public static Setting<String> oneOf(String key, String defaultValue, Supplier<List<String>> names, String doc) {
    return new Setting<>(key, defaultValue, doc, (r, k) -> r.choice(k, names.get()));
  }

  /**
   * One of the names a registry in a module above this one registers for {@code key} ({@link RegisteredNames},
   * found on the class path): the job's sync backends for train.syncBackend. {@code doc} introduces the key;
   * each registered value's own lines follow it ({@link RegisteredNames#doc()}), asked for only when the
   * documentation is (the registry's classes may not be loadable while this one initialises).
   */
  public static Setting<String> registered(String key, String defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, () -> RegisteredNames.docOf(key),
        (r, k) -> r.choice(k, RegisteredNames.of(k, defaultValue)));
  }

  /** One of an enum's {@link Named#configName()}s, for closed sets that no registry extends. */
  public static <E extends Enum<E> & Named> Setting<E> choice(String key, E defaultValue, String doc) {
    Class<E> type = defaultValue.getDeclaringClass();
    return new Setting<>(key, defaultValue, doc, (r, k) -> {
      List<String> names = Arrays.stream(type.getEnumConstants()).map(Named::configName).toList();
      String name = r.choice(k, names);
      return type.getEnumConstants()[names.indexOf(name)];
    });
  }
}
