package dev.logq.common.config;

import java.util.List;

/** run.*: run-scoped values such as Airflow's ds. */
public final class RunSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<String> DS = Setting.text("run.ds", "", """
      Run-scoped values, e.g. Airflow's {{ ds }}: used in output.path and recorded in metrics.json.""");
  public static final Setting<String> ID = Setting.text("run.id", "", """
      A run id, e.g. Airflow's {{ run_id }}; "{runId}" in output.path.""");

  public static final List<Setting<?>> SETTINGS = List.of(DS, ID);

  RunSettings(SettingReader r) {
    super(r, SETTINGS);
  }

  public String ds() {
    return get(DS);
  }

  public String id() {
    return get(ID);
  }
}
