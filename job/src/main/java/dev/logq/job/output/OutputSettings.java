package dev.logq.job.output;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** output.*: where the run writes (this package). */
public final class OutputSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");
  public static final Setting<String> PATH = Setting.nonEmptyText("output.path", "output/logq-run", """
      Where everything goes; any Hadoop path. "{ds}" and "{runId}" are replaced by run.ds / run.id.""");
  public static final Setting<Boolean> OVERWRITE = Setting.flag("output.overwrite", false, """
      Replace an existing output (also --overwrite); otherwise an existing output stops the job (exit 4).""");
  public static final Setting<Boolean> SKIP_IF_COMPLETE = Setting.flag("output.skipIfComplete", false, """
      A rerun into a complete output (it has _SUCCESS) written with the same configuration exits 0
      without doing anything (safe scheduler retries); a complete output of a different configuration
      still stops the job (exit 4). overwrite = true wins over this.""");
  public static final Setting<Boolean> WRITE_EMBEDDINGS = Setting.flag("output.writeEmbeddings", true, """
      Write the user and item embeddings (Parquet, with the original ids).""");
  public static final Setting<Boolean> REPORT = Setting.flag("output.report", true, """
      Write the report (charts and a summary) next to metrics.json.""");
  public static final Setting<Integer> RECOMMEND_K = Setting.integer("output.recommendK", 0, 0, 100_000, """
      Write each user's top-K items with scores (Parquet, original ids, training items removed) to
      recommendations/ (0: none).""");
  public static final Setting<Boolean> RECOMMEND_ALL_USERS = Setting.flag("output.recommendAllUsers", false, """
      Recommendations for every user (true) or only for the test users (false).""");

  public static final List<Setting<?>> SETTINGS = List.of(PATH, OVERWRITE, SKIP_IF_COMPLETE, WRITE_EMBEDDINGS, REPORT,
      RECOMMEND_K, RECOMMEND_ALL_USERS);

  private final String pathTemplate;
  private final String path;

  public OutputSettings(SettingReader r, RunSettings run) {
    super(r, SETTINGS);
    pathTemplate = r.get(PATH);
    path = resolve(r, run);
  }

  public static OutputSettings of(JobConfig config) {
    return config.view(OutputSettings.class);
  }

  /** Replaces {ds} and {runId}. */
  private String resolve(SettingReader r, RunSettings run) {
    Matcher m = PLACEHOLDER.matcher(pathTemplate);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String value;
      if (name.equals("ds")) {
        value = run.ds();
      } else if (name.equals("runId")) {
        value = run.id();
      } else {
        r.problem("output.path", pathTemplate, "only the placeholders {ds} and {runId}, not {" + name + "}");
        value = "";
      }
      if (value.isEmpty() && (name.equals("ds") || name.equals("runId"))) {
        r.problem("output.path", pathTemplate,
            "a value for run." + (name.equals("ds") ? "ds" : "id") + " since the path uses {" + name + "}");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** The output path with {ds} and {runId} replaced. */
  public String path() {
    return path;
  }

  /** output.path as configured, placeholders included. */
  public String pathTemplate() {
    return pathTemplate;
  }

  public boolean overwrite() {
    return get(OVERWRITE);
  }

  /** A complete output of the same configuration makes the run a no-op (exit 0); see reference.conf. */
  public boolean skipIfComplete() {
    return get(SKIP_IF_COMPLETE);
  }

  public boolean writeEmbeddings() {
    return get(WRITE_EMBEDDINGS);
  }

  public boolean report() {
    return get(REPORT);
  }

  /** Top-K recommendations written per user (0: none). */
  public int recommendK() {
    return get(RECOMMEND_K);
  }

  /** Recommendations for every user, not only the test users. */
  public boolean recommendAllUsers() {
    return get(RECOMMEND_ALL_USERS);
  }
}
