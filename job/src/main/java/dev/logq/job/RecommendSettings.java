package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingValues;
import dev.logq.common.config.SettingsView;
import java.util.List;

/** recommend.*: the recommend mode (a saved model, recommendations for the users of input.path; {@link RecommendMode}). */
public final class RecommendSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> MODEL_PATH = Setting.text("recommend.modelPath", "", """
      mode = recommend: the output directory of an earlier train run; its model recommends the top
      output.recommendK items for the users of input.path (given by their interactions).""");

  public static final List<Setting<?>> SETTINGS = List.of(MODEL_PATH);

  RecommendSettings(SettingValues r) {
    super(r, SETTINGS);
  }

  public static RecommendSettings of(JobConfig config) {
    return config.view(RecommendSettings.class);
  }

  /** The output of an earlier train run whose model recommends (mode = recommend). */
  public String modelPath() {
    return get(MODEL_PATH);
  }
}
