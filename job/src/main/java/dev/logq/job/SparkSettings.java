package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingValues;
import dev.logq.common.config.SettingsView;
import java.util.List;

/** spark.*: session settings for runs that create their own session ({@link Main}). */
public final class SparkSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> MASTER = Setting.text("spark.master", "", """
      Empty: whatever spark-submit or the environment says; "local[*]" etc. for local runs.""");
  public static final Setting<String> APP_NAME = Setting.nonEmptyText("spark.appName", "logq-spark", """
      The Spark application name.""");

  public static final List<Setting<?>> SETTINGS = List.of(MASTER, APP_NAME);

  SparkSettings(SettingValues r) {
    super(r, SETTINGS);
  }

  public static SparkSettings of(JobConfig config) {
    return config.view(SparkSettings.class);
  }

  /** The master URL, or "" for whatever spark-submit / the environment says. */
  public String master() {
    return get(MASTER);
  }

  public String appName() {
    return get(APP_NAME);
  }
}
