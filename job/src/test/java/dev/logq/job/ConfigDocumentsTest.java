package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logq.common.config.ConfigDocuments;
import dev.logq.common.config.ConfigSchema;
import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Setting;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every key is declared once, as a {@link Setting} beside its owner ({@link ConfigSchema} lists them).
 * reference.conf (the defaults the loader reads), conf/logq.conf and README's configuration table restate
 * the declarations and must not drift: each is what {@link ConfigDocuments} generates from them, and,
 * parsed independently of the generator, each declares exactly the declared keys with the declared
 * default and documentation. {@code -Dlogq.writeConfigDocs=true} rewrites the three files first
 * ({@link ConfigDocuments#REGENERATE}). It runs in the job module because the documents describe every
 * module's settings: the job's registries document values of keys declared in common (train.syncBackend's
 * backends), which common's own tests cannot see.
 */
class ConfigDocumentsTest {

  @BeforeAll
  static void regenerateWhenAsked() throws IOException {
    if (Boolean.getBoolean("logq.writeConfigDocs")) {
      ConfigDocuments.write(root());
    }
  }

  /** A key's default as written and its comment lines joined by blanks. */
  private record Declared(String value, String doc) {}

  private static final Pattern ASSIGNMENT = Pattern.compile("(\\w+)\\s*=\\s*(.*)");
  private static final Pattern README_ROW = Pattern.compile("\\| `([\\w.]+)` \\| `(.*?)` \\| (.*) \\|");

  private static Path root() {
    return Path.of(System.getProperty("logq.projectRoot", ".."));
  }

  /** key (without the logq root) -> declaration, in file order. */
  private static Map<String, Declared> declarations(List<String> lines) {
    Map<String, Declared> out = new LinkedHashMap<>();
    Deque<String> path = new ArrayDeque<>();
    List<String> comment = new ArrayList<>();
    for (String line : lines) {
      String t = line.strip();
      if (t.startsWith("#")) {
        comment.add(t.substring(1).strip());
      } else if (t.endsWith("{")) {
        path.addLast(t.substring(0, t.length() - 1).strip());
        comment.clear();
      } else if (t.equals("}")) {
        path.removeLast();
        comment.clear();
      } else {
        Matcher m = ASSIGNMENT.matcher(t);
        if (m.matches()) {
          List<String> parts = new ArrayList<>(path);
          parts.remove(0); // the logq root
          parts.add(m.group(1));
          out.put(String.join(".", parts), new Declared(m.group(2).strip(), String.join(" ", comment)));
          comment.clear();
        }
      }
    }
    return out;
  }

  /** Every module's reference.conf as written in the project: common's, then each module's, in schema order. */
  private static List<Path> referenceFiles() {
    List<Path> files = new ArrayList<>(List.of(root().resolve(ConfigDocuments.REFERENCE_CONF)));
    ConfigSchema.modules().forEach(m -> files.add(root().resolve(m.referenceConf())));
    return files;
  }

  /** The declarations of every reference.conf, concatenated. */
  private static Map<String, Declared> reference() throws IOException {
    Map<String, Declared> all = new LinkedHashMap<>();
    for (Path file : referenceFiles()) {
      all.putAll(declarations(Files.readAllLines(file)));
    }
    return all;
  }

  /** The texts of the reference.conf files with a logq root on the class path (what the loader merges). */
  private static List<String> referencesOnTheClassPath() throws IOException {
    List<String> texts = new ArrayList<>();
    for (URL url : Collections.list(JobConfig.class.getClassLoader().getResources("reference.conf"))) {
      try (InputStream in = url.openStream()) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (text.contains("\n" + JobConfig.ROOT + " {\n")) {
          texts.add(text);
        }
      }
    }
    Collections.sort(texts);
    return texts;
  }

  @Test
  void referenceDeclaresEveryKeyWithADoc() throws IOException {
    Map<String, Declared> reference = reference();
    assertEquals(new java.util.TreeSet<>(JobConfig.knownKeys()), new java.util.TreeSet<>(reference.keySet()));
    reference.forEach((key, d) -> assertEquals(false, d.doc().isEmpty(), key + " has no comment in reference.conf"));
  }

  @Test
  void filesAreGeneratedFromTheDeclarations() throws IOException {
    String hint = " differs from the declarations; regenerate: " + ConfigDocuments.REGENERATE;
    List<String> generated = new ArrayList<>(List.of(ConfigDocuments.referenceConf()));
    ConfigSchema.modules().forEach(m -> generated.add(ConfigDocuments.referenceConf(m)));
    List<Path> files = referenceFiles();
    for (int i = 0; i < files.size(); i++) {
      assertEquals(generated.get(i), Files.readString(files.get(i)), files.get(i) + hint);
    }
    Collections.sort(generated);
    assertEquals(generated, referencesOnTheClassPath(), "reference.conf (on the classpath)" + hint);
    assertEquals(ConfigDocuments.userConf(), Files.readString(root().resolve(ConfigDocuments.USER_CONF)),
        "conf/logq.conf" + hint);
    String readme = Files.readString(root().resolve(ConfigDocuments.README));
    assertEquals(ConfigDocuments.readme(readme), readme, "README.md's configuration table" + hint);
  }

  /** Independently of the generator: reference.conf as parsed here states each declaration's default and doc. */
  @Test
  void referenceStatesEachDeclaredDefaultAndDoc() throws IOException {
    Map<String, Declared> reference = reference();
    // each file: the keys its module declares, in declaration order; together: every declared key
    List<List<Setting<?>>> perFile = new ArrayList<>(List.of(ConfigSchema.common()));
    ConfigSchema.modules().forEach(m -> perFile.add(ConfigSchema.of(m)));
    List<Path> files = referenceFiles();
    for (int i = 0; i < files.size(); i++) {
      assertEquals(perFile.get(i).stream().map(Setting::key).toList(),
          List.copyOf(declarations(Files.readAllLines(files.get(i))).keySet()), files.get(i) + ": its keys, in declaration order");
    }
    assertEquals(new java.util.TreeSet<>(ConfigSchema.keys()), new java.util.TreeSet<>(reference.keySet()), "every declared key");
    // each default as written in the file, given to the loader as a user's value, reads as the declared default
    StringBuilder asUserFile = new StringBuilder();
    reference.forEach((key, d) -> asUserFile.append(key).append(" = ").append(d.value()).append('\n'));
    JobConfig parsed = JobConfig.parse(asUserFile.toString(), "reference.conf's values", List.of());
    for (Setting<?> s : ConfigSchema.settings()) {
      Declared d = reference.get(s.key());
      assertEquals(String.join(" ", s.doc().lines().map(String::strip).toList()), d.doc(), s.key());
      assertEquals(s.defaultValue(), parsed.get(s), s.key() + " = " + d.value());
      assertEquals(s.defaultText(), d.value(), s.key());
    }
  }

  /** A key's declared default is what the loader reads when nothing overrides it (the factories' values). */
  @Test
  void declaredDefaultsAreTheEffectiveDefaults() {
    JobConfig defaults = JobConfig.defaults();
    for (Setting<?> s : ConfigSchema.settings()) {
      assertEquals(s.defaultValue(), defaults.get(s), s.key());
    }
    assertEquals(ConfigSchema.keys(), List.copyOf(defaults.toMap().keySet()), "toMap() in declaration order");
  }

  @Test
  void confLogqConfRestatesEveryDeclaration() throws IOException {
    Map<String, Declared> user = declarations(Files.readAllLines(root().resolve("conf/logq.conf")));
    assertEquals(reference(), user);
  }

  @Test
  void readmeTableRestatesEveryDeclaration() throws IOException {
    Map<String, Declared> table = new LinkedHashMap<>();
    for (String line : Files.readAllLines(root().resolve("README.md"))) {
      Matcher m = README_ROW.matcher(line.strip());
      if (m.matches()) {
        table.put(m.group(1), new Declared(m.group(2), m.group(3).replace("\\|", "|")));
      }
    }
    assertEquals(reference(), table);
  }
}
