package dev.logq.common.config;

import java.io.Serializable;
import java.util.List;

/** recommend.*: the recommend mode (a saved model, recommendations for the users of input.path). */
public final class RecommendSettings implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> MODEL_PATH = Setting.text("recommend.modelPath", "", """
      mode = recommend: the output directory of an earlier train run; its model recommends the top
      output.recommendK items for the users of input.path (given by their interactions).""");

  public static final List<Setting<?>> SETTINGS = List.of(MODEL_PATH);

  private final String modelPath;

  RecommendSettings(SettingReader r) {
    modelPath = r.get(MODEL_PATH);
  }

  /** The output of an earlier train run whose model recommends (mode = recommend). */
  public String modelPath() {
    return modelPath;
  }
}
