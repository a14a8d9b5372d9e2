package dev.logq.common.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A registry that lives in a module above this one and names the values one setting accepts: the job's
 * sync backends name {@code train.syncBackend}'s values. The module lists its implementation in
 * {@code META-INF/services/dev.logq.common.config.RegisteredNames}; {@link Setting#registered} asks the
 * implementations found on the class path when a configuration is read, so the registry, not a list here,
 * is the one place a name is written.
 */
public interface RegisteredNames {

  /** The key whose values these are, e.g. "train.syncBackend". */
  String key();

  /** The registered names, in registration order. */
  List<String> names();

  /**
   * The names every implementation on the class path registers for {@code key}. Without any (this module
   * alone, as in its own tests) only {@code fallback}, the setting's default, is known.
   */
  static List<String> of(String key, String fallback) {
    return RegisteredNamesFound.BY_KEY.computeIfAbsent(key, k -> {
      List<String> names = new ArrayList<>();
      for (RegisteredNames r : ServiceLoader.load(RegisteredNames.class, RegisteredNames.class.getClassLoader())) {
        if (r.key().equals(k)) {
          names.addAll(r.names());
        }
      }
      return names.isEmpty() ? List.of(fallback) : List.copyOf(names);
    });
  }
}

/** The names found per key (the class path does not change while the JVM runs). */
final class RegisteredNamesFound {
  static final Map<String, List<String>> BY_KEY = new ConcurrentHashMap<>();

  private RegisteredNamesFound() {}
}
