package dev.logq.common.data;

import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import java.util.List;

/** synthetic.*: the embedded generator ({@link SyntheticModel}; used when input.path is empty, and by mode = generate). */
public final class SyntheticSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<Integer> USERS = Setting.integer("synthetic.users", 3000, 1, Integer.MAX_VALUE, """
      Number of users (user ids 0..users-1).""");
  public static final Setting<Integer> ITEMS = Setting.integer("synthetic.items", 1500, 1, Integer.MAX_VALUE, """
      Number of items (item ids 0..items-1).""");
  public static final Setting<Integer> INTERACTIONS_PER_USER = Setting.integer("synthetic.interactionsPerUser", 30, 1, 1_000_000, """
      Mean interactions per user (each user draws a Poisson-ish count around it, at least 2).""");
  public static final Setting<Integer> LATENT_DIM = Setting.integer("synthetic.latentDim", 16, 1, 4096, """
      Dimension of the planted latent vectors.""");
  public static final Setting<Double> ZIPF_EXPONENT = Setting.number("synthetic.zipfExponent", 1.0, 0, true, 10, true, """
      Item popularity ~ rank^(-zipfExponent) (item 0 is the most popular).""");
  public static final Setting<Double> PLANTED_TEMPERATURE = Setting.number("synthetic.plantedTemperature", 0.25, 0, false, Double.MAX_VALUE, true, """
      True P(item | user) is proportional to popularity(item) * exp(<x_u, y_i> / planted temperature).""");
  public static final Setting<Long> SEED = Setting.longInteger("synthetic.seed", 7, """
      Seed of the vectors and draws; each user's interactions depend only on (seed, user).""");
  public static final Setting<Integer> PARTITIONS = Setting.integer("synthetic.partitions", 0, 0, 1_000_000, """
      Spark partitions (user ranges) of the generated data; 0: about one per million interactions.""");

  public static final List<Setting<?>> SETTINGS = List.of(USERS, ITEMS, INTERACTIONS_PER_USER, LATENT_DIM,
      ZIPF_EXPONENT, PLANTED_TEMPERATURE, SEED, PARTITIONS);

  public SyntheticSettings(SettingReader r) {
    super(r, SETTINGS);
  }

  public int users() {
    return get(USERS);
  }

  public int items() {
    return get(ITEMS);
  }

  public int interactionsPerUser() {
    return get(INTERACTIONS_PER_USER);
  }

  public int latentDim() {
    return get(LATENT_DIM);
  }

  public double zipfExponent() {
    return get(ZIPF_EXPONENT);
  }

  public double plantedTemperature() {
    return get(PLANTED_TEMPERATURE);
  }

  public long seed() {
    return get(SEED);
  }

  /** Spark partitions for generation; 0 means "choose from the size". */
  public int partitions() {
    return get(PARTITIONS);
  }
}
