package dev.logq.job.split;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Named;
import dev.logq.common.config.Setting;
import dev.logq.common.config.SettingReader;
import dev.logq.common.config.SettingsView;
import java.util.List;
import java.util.Locale;

/** split.*: how the interactions become train, validation and test (the job's split package). */
public final class SplitSettings extends SettingsView {
  private static final long serialVersionUID = 1L;
  public static final Setting<SplitMethod> METHOD = Setting.choice("split.method", SplitMethod.LEAVE_LAST_OUT, """
      leave-last-out: each user's latest interaction (by timestamp) is held out, for users with at
        least 2 interactions.
      temporal: one global cut in time; the latest testFraction of the interactions are held out.
      random: each interaction is held out with probability testFraction (seeded hash of the row).
      given: the test set is read from input.testPath.""");
  public static final Setting<Double> TEST_FRACTION = Setting.number("split.testFraction", 0.2, 0, false, 1, false, """
      temporal and random: share of interactions held out.""");
  public static final Setting<Integer> MIN_USER_COUNT = Setting.integer("split.minUserCount", 2, 1, Integer.MAX_VALUE, """
      Users/items with fewer interactions than this are removed before splitting, repeatedly until
      every remaining user and item has enough (a (minUserCount, minItemCount)-core).""");
  public static final Setting<Integer> MIN_ITEM_COUNT = Setting.integer("split.minItemCount", 1, 1, Integer.MAX_VALUE, """
      See minUserCount.""");
  public static final Setting<Long> SEED = Setting.longInteger("split.seed", 11, """
      Seed of the random split's hash (and of the validation split and its user sample).""");
  public static final Setting<String> VALIDATION = Setting.text("split.validation", "leave-last-out", """
      Validation split, held out of the training part only (never of the test split): none,
      leave-last-out (each user's latest training interaction, users with at least 2) or a fraction
      (each training interaction with that probability, seeded hash). Evaluated at every epoch end.""");
  public static final Setting<Integer> VALIDATION_USERS = Setting.integer("split.validationUsers", 1000, 0, Integer.MAX_VALUE, """
      Validation users evaluated at each epoch end: a seeded sample of this many (0: all of them).""");
  public static final Setting<Integer> TEST_USERS = Setting.integer("split.testUsers", 0, 0, Integer.MAX_VALUE, """
      Test users evaluated (and given output.recommendK's recommendations) at the end: a seeded sample of this many
      (0: all of them). For large catalogs, where scoring every test user against every item would dominate the run.""");

  public static final List<Setting<?>> SETTINGS = List.of(METHOD, TEST_FRACTION, MIN_USER_COUNT, MIN_ITEM_COUNT, SEED,
      VALIDATION, VALIDATION_USERS, TEST_USERS);

  public enum SplitMethod implements Named {
    LEAVE_LAST_OUT("leave-last-out"), TEMPORAL("temporal"), RANDOM("random"), GIVEN("given");
    private final String name;

    SplitMethod(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  private final SplitMethod method;
  private final double testFraction;
  private final int minUserCount;
  private final int minItemCount;
  private final long seed;
  /** 0: no validation split; -1: leave-last-out of the training part; else the held-out share. */
  private final double validation;
  private final int validationUsers;
  private final int testUsers;

  public SplitSettings(SettingReader r) {
    super(r, SETTINGS);
    method = r.get(METHOD);
    testFraction = r.get(TEST_FRACTION);
    minUserCount = r.get(MIN_USER_COUNT);
    minItemCount = r.get(MIN_ITEM_COUNT);
    seed = r.get(SEED);
    String v = r.get(VALIDATION).toLowerCase(Locale.ROOT);
    double parsed = 0;
    if (v.equals("none")) {
      parsed = 0;
    } else if (v.equals("leave-last-out")) {
      parsed = -1;
    } else {
      try {
        parsed = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        parsed = Double.NaN;
      }
      if (!(parsed > 0 && parsed < 1)) {
        r.problem("split.validation", v, "none, leave-last-out or a fraction in (0, 1)");
        parsed = 0;
      }
    }
    validation = parsed;
    validationUsers = r.get(VALIDATION_USERS);
    testUsers = r.get(TEST_USERS);
  }

  /** True when a validation split is held out of the training part. */
  public boolean hasValidation() {
    return validation != 0;
  }

  /** True for split.validation = leave-last-out. */
  public boolean validationLeaveLastOut() {
    return validation < 0;
  }

  /** split.validation as a fraction of the training part (0 for none and leave-last-out). */
  public double validationFraction() {
    return validation > 0 ? validation : 0;
  }

  /** Validation users evaluated each epoch (a seeded sample; 0: all). */
  public int validationUsers() {
    return validationUsers;
  }

  /** split.testUsers: the size of the evaluated test-user sample, 0 for all. */
  public int testUsers() {
    return testUsers;
  }

  public SplitMethod method() {
    return method;
  }

  public double testFraction() {
    return testFraction;
  }

  public int minUserCount() {
    return minUserCount;
  }

  public int minItemCount() {
    return minItemCount;
  }

  public long seed() {
    return seed;
  }

  public static SplitSettings of(JobConfig config) {
    return config.view(SplitSettings.class);
  }
}
