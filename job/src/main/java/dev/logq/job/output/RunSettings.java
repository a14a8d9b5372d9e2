package dev.logq.job.output;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingValues;
import dev.logq.common.config.SettingsView;
import java.util.List;

/** run.*: run-scoped values such as Airflow's ds (in output.path, metrics.json and the output's owner). */
public final class RunSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> DS = Setting.text("run.ds", "", """
      Run-scoped values, e.g. Airflow's {{ ds }}: used in output.path and recorded in metrics.json.""");
  public static final Setting<String> ID = Setting.text("run.id", "", """
      A run id, e.g. Airflow's {{ run_id }}; "{runId}" in output.path.""");

  public static final List<Setting<?>> SETTINGS = List.of(DS, ID);

  public RunSettings(SettingValues r) {
    super(r, SETTINGS);
  }

  public static RunSettings of(JobConfig config) {
    return config.view(RunSettings.class);
  }

  public String ds() {
    return get(DS);
  }

  public String id() {
    return get(ID);
  }
}
