package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.ModuleSettings;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import dev.logq.common.config.TrainSettings;
import dev.logq.common.data.SyntheticSettings;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.output.RunSettings;
import dev.logq.job.split.SplitSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The settings this module declares beside the code that reads them, one line per owner: input.* (after
 * mode), split.* (after synthetic.*), and recommend.*, output.*, run.*, spark.* at the end. Found by
 * common's configuration through META-INF/services/dev.logq.common.config.ModuleSettings; their defaults
 * are in this module's reference.conf (generated, like common's).
 */
public final class JobSettings implements ModuleSettings {

  private static final List<Setting<?>> LAST = new ArrayList<>();

  static {
    LAST.addAll(RecommendSettings.SETTINGS);
    LAST.addAll(OutputSettings.SETTINGS);
    LAST.addAll(RunSettings.SETTINGS);
    LAST.addAll(SparkSettings.SETTINGS);
  }

  private static final List<Owner> OWNERS = List.of(
      new Owner(JobConfig.MODE, InputSettings.SETTINGS, r -> List.of(new InputSettings(r))),
      new Owner(SyntheticSettings.SETTINGS.get(SyntheticSettings.SETTINGS.size() - 1), SplitSettings.SETTINGS,
          r -> List.of(new SplitSettings(r))),
      // run's view first, as it always was: output.path resolves run.*
      new Owner(null, List.copyOf(LAST), JobSettings::lastViews));

  private static List<SettingsView> lastViews(SettingReader r) {
    RunSettings run = new RunSettings(r);
    return List.of(run, new RecommendSettings(r), new OutputSettings(r, run), new SparkSettings(r));
  }

  @Override
  public List<Owner> owners() {
    return OWNERS;
  }

  @Override
  public String referenceConf() {
    return "job/src/main/resources/reference.conf";
  }

  @Override
  public List<String> checkedKeys() {
    return List.of("split.method", "input.path", "input.testPath", "mode");
  }

  /** What early stopping, split.method = given and the modes need, in the order they were always listed. */
  @Override
  public void check(SettingReader r, Map<Class<?>, SettingsView> views) {
    InputSettings input = (InputSettings) views.get(InputSettings.class);
    SplitSettings split = (SplitSettings) views.get(SplitSettings.class);
    JobConfig.Mode mode = r.get(JobConfig.MODE);
    int patience = r.get(TrainSettings.EARLY_STOPPING_PATIENCE);
    if (patience > 0 && !split.hasValidation()) {
      r.problem("train.earlyStopping.patience", patience,
          "0 when split.validation = none (early stopping needs the validation split; the test split is never used)");
    }
    if (split.method() == SplitSettings.SplitMethod.GIVEN && input.testPath().isEmpty()) {
      r.problem("input.testPath", "", "a path when split.method = given");
    }
    if (split.method() == SplitSettings.SplitMethod.GIVEN && input.isSynthetic()) {
      r.problem("split.method", "given", "another method when input.path is empty (the synthetic data has no separate test set)");
    }
    if (mode == JobConfig.Mode.RECOMMEND) {
      if (r.get(RecommendSettings.MODEL_PATH).isEmpty()) {
        r.problem("recommend.modelPath", "", "the output of an earlier train run when mode = recommend");
      }
      if (input.isSynthetic()) {
        r.problem("input.path", "", "the interactions of the users to recommend for when mode = recommend");
      }
      int k = r.get(OutputSettings.RECOMMEND_K);
      if (k < 1) {
        r.problem("output.recommendK", k, "at least 1 when mode = recommend (the K of the top K)");
      }
    }
    if (mode == JobConfig.Mode.GENERATE && input.isSynthetic()) {
      r.problem("input.path", "", "a path when mode = generate (the synthetic data is written there)");
    }
  }
}
