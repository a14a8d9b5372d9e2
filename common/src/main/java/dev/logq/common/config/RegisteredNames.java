package dev.logq.common.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A registry that lives in a module above this one and names (and documents) the values one setting
 * accepts: the job's sync backends name {@code train.syncBackend}'s values. The module lists its implementation in
 * {@code META-INF/services/dev.logq.common.config.RegisteredNames}; {@link Setting#registered} asks the
 * implementations found on the class path when a configuration is read, so the registry, not a list here,
 * is the one place a name is written.
 */
public interface RegisteredNames {

  /** The key whose values these are, e.g. "train.syncBackend". */
  String key();

  /** The registered names, in registration order. */
  List<String> names();

  /** Each registered value's lines in the key's documentation ("name: what it does"), in registration order. */
  String doc();

  /** The {@link #doc()}s of every implementation on the class path for {@code key} ("" without any). */
  static String docOf(String key) {
    return String.join("\n", found(key).stream().map(r -> r.doc().strip()).toList());
  }

  /**
   * The names every implementation on the class path registers for {@code key}. Without any (this module
   * alone, as in its own tests) only {@code fallback}, the setting's default, is known.
   */
  static List<String> of(String key, String fallback) {
    return RegisteredNamesFound.BY_KEY.computeIfAbsent(key, k -> {
      List<String> names = new ArrayList<>();
      found(k).forEach(r -> names.addAll(r.names()));
      return names.isEmpty() ? List.of(fallback) : List.copyOf(names);
    });
  }

  /** The implementations on the class path that register values of {@code key}. */
  private static List<RegisteredNames> found(String key) {
    List<RegisteredNames> out = new ArrayList<>();
    for (RegisteredNames r : ServiceLoader.load(RegisteredNames.class, RegisteredNames.class.getClassLoader())) {
      if (r.key().equals(key)) {
        out.add(r);
      }
    }
    return out;
  }
}

/** The names found per key (the class path does not change while the JVM runs). */
final class RegisteredNamesFound {
  static final Map<String, List<String>> BY_KEY = new ConcurrentHashMap<>();

  private RegisteredNamesFound() {}
}
