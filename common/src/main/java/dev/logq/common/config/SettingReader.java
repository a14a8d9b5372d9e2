package dev.logq.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.logq.common.error.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the declared {@link Setting}s from the merged configuration: records each effective value (as
 * {@link JobConfig#toMap()} gives it) and its typed value, and collects every problem so that all are
 * reported at once. The settings holders' constructors read through it and add their cross-key checks.
 */
public final class SettingReader implements SettingValues {
  private final Config config;
  final Map<String, Object> values = new LinkedHashMap<>();
  final Map<String, Object> typed = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();
  private final List<String> problemKeys = new ArrayList<>();

  SettingReader(Config config) {
    this.config = config;
  }

  private ConfigValue raw(String key) {
    String path = JobConfig.ROOT + "." + key;
    if (!config.hasPathOrNull(path)) {
      throw new IllegalStateException("JobConfig reads '" + key + "', which reference.conf does not define");
    }
    if (config.getIsNull(path)) {
      return null;
    }
    return config.getValue(path);
  }

  /** Reports {@code value} of {@code key} as invalid; {@code expected} says what is allowed. */
  public void problem(String key, Object value, String expected) {
    problems.add("Invalid value for " + key + ": " + display(value) + where(key) + "; expected " + expected);
    problemKeys.add(key);
  }

  private String where(String key) {
    ConfigValue v = config.hasPath(JobConfig.ROOT + "." + key) ? config.getValue(JobConfig.ROOT + "." + key) : null;
    if (v == null || v.origin().description() == null) {
      return "";
    }
    String d = v.origin().description();
    return d.startsWith("reference.conf") ? " (the default)" : " (" + d + ")";
  }

  private static String display(Object value) {
    if (value instanceof ConfigValue) {
      return ((ConfigValue) value).render(ConfigRenderOptions.concise());
    }
    if (value instanceof String) {
      return "\"" + value + "\"";
    }
    return String.valueOf(value);
  }

  /** True when none of {@code keys} has a problem (checks across keys skip otherwise). */
  public boolean allValid(String... keys) {
    for (String key : keys) {
      if (problemKeys.contains(key)) {
        return false;
      }
    }
    return true;
  }

  void throwIfProblems() {
    if (!problems.isEmpty()) {
      throw new ConfigException(problemKeys.get(0), String.join("\n", problems));
    }
  }

  /** Scalar text (numbers and booleans as written); null and lists/objects are problems. */
  private String scalar(String key, String expected) {
    ConfigValue v = raw(key);
    if (v == null) {
      problem(key, "null", expected);
      return null;
    }
    if (v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.OBJECT) {
      problem(key, v, expected);
      return null;
    }
    return config.getString(JobConfig.ROOT + "." + key);
  }

  String string(String key) {
    String s = scalar(key, "a string");
    s = s == null ? "" : s;
    values.put(key, s);
    return s;
  }

  String nonEmptyString(String key) {
    String s = string(key);
    if (s.trim().isEmpty()) {
      problem(key, s, "a non-empty string");
    }
    return s;
  }

  boolean bool(String key) {
    String s = scalar(key, "true or false");
    boolean result = false;
    if (s != null) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true": case "yes": case "on":
          result = true;
          break;
        case "false": case "no": case "off":
          result = false;
          break;
        default:
          problem(key, s, "true or false");
      }
    }
    values.put(key, result);
    return result;
  }

  long longValue(String key, long min, long max) {
    long result = integer(key, min, max);
    values.put(key, result);
    return result;
  }

  int intValue(String key, int min, int max) {
    int result = (int) integer(key, min, max);
    values.put(key, result);  // recorded as an Integer, as written
    return result;
  }

  /** An integer in [min, max]; min (after reporting the problem) when it is not one. */
  private long integer(String key, long min, long max) {
    String expected = range("an integer", min, max);
    String s = scalar(key, expected);
    if (s != null) {
      Long parsed = parseInteger(s);
      if (parsed == null || parsed < min || parsed > max) {
        problem(key, s, expected);
      } else {
        return parsed;
      }
    }
    return min;
  }

  private static String range(String what, long min, long max) {
    boolean hasMin = min != Long.MIN_VALUE && min != Integer.MIN_VALUE;
    boolean hasMax = max != Long.MAX_VALUE && max != Integer.MAX_VALUE;
    if (hasMin && hasMax) {
      return what + " from " + min + " to " + max;
    }
    if (hasMin) {
      return what + " >= " + min;
    }
    return hasMax ? what + " <= " + max : what;
  }

  /** An integer written as one (or as a number with no fractional part, e.g. 1e3), else null. */
  private static Long parseInteger(String s) {
    String t = s.trim();
    try {
      return Long.parseLong(t);
    } catch (NumberFormatException e) {
      try {
        double d = Double.parseDouble(t);
        if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
          return (long) d;
        }
      } catch (NumberFormatException ignored) {
        // not a number at all
      }
      return null;
    }
  }

  double doubleValue(String key, double min, boolean minInclusive, double max, boolean maxInclusive) {
    String expected = "a number " + (min == -Double.MAX_VALUE ? "" : (minInclusive ? ">= " : "> ") + min)
        + (max == Double.MAX_VALUE ? "" : (min == -Double.MAX_VALUE ? "" : " and ") + (maxInclusive ? "<= " : "< ") + max);
    String s = scalar(key, expected.trim());
    double result = min;
    if (s != null) {
      double d;
      try {
        d = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        d = Double.NaN;
      }
      boolean ok = Double.isFinite(d)
          && (minInclusive ? d >= min : d > min)
          && (maxInclusive ? d <= max : d < max);
      if (!ok) {
        problem(key, s, expected.trim());
      } else {
        result = d;
      }
    }
    values.put(key, result);
    return result;
  }

  /** One of {@code names} (case-insensitive); the recorded value is the name as listed. */
  String choice(String key, List<String> names) {
    String expected = "one of " + String.join(", ", names);
    String s = scalar(key, expected);
    String result = names.get(0);
    if (s != null) {
      boolean found = false;
      for (String name : names) {
        if (name.equalsIgnoreCase(s.trim())) {
          result = name;
          found = true;
        }
      }
      if (!found) {
        problem(key, s, expected);
      }
    }
    values.put(key, result);
    return result;
  }

  List<Integer> intList(String key, int min, boolean allowEmpty) {
    String expected = "a list of integers >= " + min + (allowEmpty ? "" : " (at least one)") + ", e.g. [1, 10]";
    ConfigValue v = raw(key);
    List<Integer> result = new ArrayList<>();
    if (v == null || v.valueType() != ConfigValueType.LIST) {
      problem(key, v == null ? "null" : v, expected);
    } else {
      for (ConfigValue element : (ConfigList) v) {
        Long parsed = element.valueType() == ConfigValueType.NUMBER || element.valueType() == ConfigValueType.STRING
            ? parseInteger(String.valueOf(element.unwrapped())) : null;
        if (parsed == null || parsed < min || parsed > Integer.MAX_VALUE) {
          problem(key, v, expected);
          result.clear();
          break;
        }
        result.add((int) (long) parsed);
      }
      if (!allowEmpty && result.isEmpty() && !problemKeys.contains(key)) {
        problem(key, v, expected);
      }
    }
    values.put(key, List.copyOf(result));
    return List.copyOf(result);
  }

  /** Reads {@code setting} (once), recording its effective and typed values. */
  <T> T read(Setting<T> setting) {
    T value = setting.read(this);
    typed.put(setting.key(), value);
    return value;
  }

  /** The typed value of a setting read so far. */
  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    if (!typed.containsKey(setting.key())) {
      throw new IllegalStateException(setting.key() + " is not declared in ConfigSchema");
    }
    return (T) typed.get(setting.key());
  }
}
