package dev.logq.job;

import dev.logq.common.config.InputSettings;
import dev.logq.common.config.JobConfig;
import dev.logq.common.config.ModuleSettings;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.output.RunSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings this module declares beside the code that reads them: recommend.*, output.*, run.* and
 * spark.*, in the documents' order (after common's), one line per owner. Found by common's
 * configuration through META-INF/services/dev.logq.common.config.ModuleSettings; their defaults are in
 * this module's reference.conf (generated, like common's).
 */
public final class JobSettings implements ModuleSettings {

  private static final List<Setting<?>> SETTINGS;

  static {
    List<Setting<?>> all = new ArrayList<>();
    all.addAll(RecommendSettings.SETTINGS);
    all.addAll(OutputSettings.SETTINGS);
    all.addAll(RunSettings.SETTINGS);
    all.addAll(SparkSettings.SETTINGS);
    SETTINGS = List.copyOf(all);
  }

  @Override
  public List<Setting<?>> settings() {
    return SETTINGS;
  }

  @Override
  public String referenceConf() {
    return "job/src/main/resources/reference.conf";
  }

  /** In the order their problems were always listed: run, recommend, output (it resolves run.*), spark. */
  @Override
  public List<SettingsView> views(SettingReader r) {
    RunSettings run = new RunSettings(r);
    return List.of(run, new RecommendSettings(r), new OutputSettings(r, run), new SparkSettings(r));
  }

  /** What mode = recommend needs: a saved model, the users' interactions and a K. */
  @Override
  public void check(SettingReader r) {
    if (r.get(JobConfig.MODE) != JobConfig.Mode.RECOMMEND) {
      return;
    }
    if (r.get(RecommendSettings.MODEL_PATH).isEmpty()) {
      r.problem("recommend.modelPath", "", "the output of an earlier train run when mode = recommend");
    }
    if (r.get(InputSettings.PATH).isEmpty()) {
      r.problem("input.path", "", "the interactions of the users to recommend for when mode = recommend");
    }
    int k = r.get(OutputSettings.RECOMMEND_K);
    if (k < 1) {
      r.problem("output.recommendK", k, "at least 1 when mode = recommend (the K of the top K)");
    }
  }
}
