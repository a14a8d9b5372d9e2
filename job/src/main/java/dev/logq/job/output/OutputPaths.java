package dev.logq.job.output;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Run-scoped output paths: {@code output.path} may contain {@code {ds}} (run.ds, e.g. Airflow's
 * {@code {{ ds }}}) and {@code {runId}} (run.id), e.g. {@code hdfs://nn/logq/{ds}/run-{runId}}.
 */
public final class OutputPaths {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

  private OutputPaths() {}

  /**
   * Replaces the placeholders. A placeholder whose value is empty, or any other {@code {name}}, is an
   * error naming the key to set, so that a typo never creates a directory literally named "{DS}".
   */
  public static String resolve(String pattern, String ds, String runId) {
    if (pattern == null || pattern.isBlank()) {
      throw new IllegalArgumentException("output.path is empty");
    }
    Matcher m = PLACEHOLDER.matcher(pattern);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String value;
      String key;
      switch (name) {
        case "ds" -> {
          value = ds;
          key = "run.ds";
        }
        case "runId" -> {
          value = runId;
          key = "run.id";
        }
        default -> throw new IllegalArgumentException("output.path '" + pattern + "' contains the unknown placeholder {"
            + name + "}; supported: {ds} (run.ds) and {runId} (run.id)");
      }
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("output.path '" + pattern + "' uses {" + name + "} but " + key + " is empty; set "
            + key + " (e.g. " + key + "=2024-01-31 on the command line)");
      }
      if (value.contains("/") || value.contains("\\") || value.equals(".") || value.equals("..")) {
        throw new IllegalArgumentException(key + " = '" + value + "' cannot be used in output.path: it must not contain"
            + " path separators or be . or ..");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
