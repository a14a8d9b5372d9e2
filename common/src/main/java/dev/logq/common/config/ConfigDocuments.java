package dev.logq.common.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The three documents that restate the declared settings, generated from {@link ConfigSchema}:
 * reference.conf (the defaults the loader reads; one per module, each with the keys that module declares),
 * conf/logq.conf (the documented user file) and the rows of README's configuration table. ConfigDocumentsTest (in the job module, which sees every module's
 * declarations) fails when a file differs from what this generates; {@link #REGENERATE} rewrites them.
 */
public final class ConfigDocuments {

  /** The command that rewrites the three files from the declarations. */
  public static final String REGENERATE = "mvn -o -q -pl common,job -am test -Dtest=ConfigDocumentsTest"
      + " -Dsurefire.failIfNoSpecifiedTests=false -Dlogq.writeConfigDocs=true";

  public static final String REFERENCE_CONF = "common/src/main/resources/reference.conf";
  public static final String USER_CONF = "conf/logq.conf";
  public static final String README = "README.md";
  /** The header row of README's configuration table; the generated rows follow its separator row. */
  static final String README_TABLE_HEADER = "| key (under `logq`) | default | meaning |";

  private static final String REFERENCE_HEADER = """
      # Every knob of logq-spark with its default. A user's file (conf/logq.conf) and command-line
      # overrides (key=value) are layered on top; a key not listed here is rejected with its name.
      """;

  /** A module's reference.conf: the loader merges it with common's (the assembly jar concatenates them). */
  private static final String MODULE_REFERENCE_HEADER = """
      # The knobs this module declares, with their defaults (generated; the others are in
      # common/src/main/resources/reference.conf, the user's view of all of them in conf/logq.conf).
      """;

  private static final String USER_HEADER = """
      # logq-spark configuration: every knob, set to its default. Copy this file, edit what you need and
      # pass it with --conf FILE; single keys can also be overridden on the command line as key=value
      # (e.g. train.epochs=3 or logq.train.epochs=3), which wins over the file.
      #
      # Keys you delete fall back to the defaults (the reference.conf of common/src/main/resources and
      # job/src/main/resources). A key that is not listed here is rejected with its name, so typos fail
      # fast. Values may use HOCON substitutions, e.g. path = ${HOME}"/data/ratings.parquet" or
      # seed = ${logq.train.seed}.
      """;

  private ConfigDocuments() {}

  /** common's reference.conf: the keys this module declares. */
  public static String referenceConf() {
    return REFERENCE_HEADER + body(ConfigSchema.common());
  }

  /** The reference.conf of {@code module}: the keys it declares. */
  public static String referenceConf(ModuleSettings module) {
    return MODULE_REFERENCE_HEADER + body(ConfigSchema.of(module));
  }

  public static String userConf() {
    return USER_HEADER + body(ConfigSchema.settings());
  }

  /** README's table rows: {@code | `key` | `default` | documentation on one line |}. */
  public static List<String> readmeRows() {
    List<String> rows = new ArrayList<>();
    for (Setting<?> s : ConfigSchema.settings()) {
      List<String> words = new ArrayList<>();
      s.doc().lines().forEach(l -> words.add(l.strip()));
      rows.add("| `" + s.key() + "` | `" + s.defaultText() + "` | " + String.join(" ", words).replace("|", "\\|") + " |");
    }
    return rows;
  }

  /** README.md's text with its configuration table's rows replaced by {@link #readmeRows()}. */
  public static String readme(String current) {
    List<String> lines = new ArrayList<>(current.lines().toList());
    int header = lines.indexOf(README_TABLE_HEADER);
    if (header < 0 || header + 1 >= lines.size()) {
      throw new IllegalStateException("README.md has no configuration table (" + README_TABLE_HEADER + ")");
    }
    int from = header + 2;
    int to = from;
    while (to < lines.size() && lines.get(to).startsWith("| `")) {
      to++;
    }
    lines.subList(from, to).clear();
    lines.addAll(from, readmeRows());
    return String.join("\n", lines) + (current.endsWith("\n") ? "\n" : "");
  }

  /** Rewrites the three documents (every module's reference.conf) under the project root {@code root}. */
  public static void write(Path root) throws IOException {
    Files.writeString(root.resolve(REFERENCE_CONF), referenceConf(), StandardCharsets.UTF_8);
    for (ModuleSettings module : ConfigSchema.modules()) {
      Files.writeString(root.resolve(module.referenceConf()), referenceConf(module), StandardCharsets.UTF_8);
    }
    Files.writeString(root.resolve(USER_CONF), userConf(), StandardCharsets.UTF_8);
    Path readme = root.resolve(README);
    Files.writeString(readme, readme(Files.readString(readme, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  // The settings as nested HOCON sections, in declaration order.

  private static String body(List<Setting<?>> settings) {
    Map<String, Object> tree = new LinkedHashMap<>();
    for (Setting<?> s : settings) {
      Map<String, Object> node = tree;
      String[] parts = s.key().split("\\.");
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> child = (Map<String, Object>) node.computeIfAbsent(parts[i], k -> new LinkedHashMap<>());
        node = child;
      }
      node.put(parts[parts.length - 1], s);
    }
    StringBuilder sb = new StringBuilder(JobConfig.ROOT).append(" {\n");
    render(tree, 1, sb);
    return sb.append("}\n").toString();
  }

  private static void render(Map<String, Object> section, int depth, StringBuilder sb) {
    String indent = "  ".repeat(depth);
    boolean previousWasSection = false;
    boolean first = true;
    for (Map.Entry<String, Object> e : section.entrySet()) {
      boolean isSection = e.getValue() instanceof Map;
      // top level: a blank line around each section
      if (depth == 1 && !first && (isSection || previousWasSection)) {
        sb.append('\n');
      }
      if (isSection) {
        @SuppressWarnings("unchecked")
        Map<String, Object> child = (Map<String, Object>) e.getValue();
        sb.append(indent).append(e.getKey()).append(" {\n");
        render(child, depth + 1, sb);
        sb.append(indent).append("}\n");
      } else {
        Setting<?> s = (Setting<?>) e.getValue();
        s.doc().lines().forEach(l -> sb.append(indent).append(l.isEmpty() ? "#" : "# " + l).append('\n'));
        sb.append(indent).append(e.getKey()).append(" = ").append(s.defaultText()).append('\n');
      }
      previousWasSection = isSection;
      first = false;
    }
  }
}
