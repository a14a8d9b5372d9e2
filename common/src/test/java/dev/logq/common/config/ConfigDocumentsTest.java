package dev.logq.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * reference.conf declares every key with its default and its documentation (the comment above it). The
 * two documents a user reads restate them and must not drift: conf/logq.conf (same key, same default
 * text, same comment) and README's configuration table ({@code | `key` | `default` | comment |}).
 */
class ConfigDocumentsTest {

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

  private static Map<String, Declared> reference() throws IOException {
    try (InputStream in = JobConfig.class.getResourceAsStream("/reference.conf")) {
      return declarations(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
    }
  }

  @Test
  void referenceDeclaresEveryKeyWithADoc() throws IOException {
    Map<String, Declared> reference = reference();
    assertEquals(new java.util.TreeSet<>(JobConfig.knownKeys()), new java.util.TreeSet<>(reference.keySet()));
    reference.forEach((key, d) -> assertEquals(false, d.doc().isEmpty(), key + " has no comment in reference.conf"));
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
