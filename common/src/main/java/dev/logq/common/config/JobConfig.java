package dev.logq.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.logq.common.data.SyntheticSettings;
import dev.logq.common.error.ConfigException;
import dev.logq.common.eval.EvaluationSettings;
import dev.logq.common.loss.LossSettings;
import dev.logq.common.loss.Losses;
import dev.logq.common.loss.Negatives;
import dev.logq.common.model.ModelSettings;
import java.io.IOException;
import java.io.Serializable;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The typed, validated configuration of one run: {@code reference.conf} (every key and its default),
 * under an optional user file (HOCON, keys inside {@code logq { }} or at the top level), under
 * command-line overrides {@code key=value} (with or without the {@code logq.} prefix).
 *
 * <p>Unknown keys and invalid values fail at load time with a {@link ConfigException} naming the key,
 * the value, where it was set and what is allowed; all problems are reported at once. Instances are
 * immutable and {@link Serializable} (Spark closures carry them); {@link #toMap()} and
 * {@link #toHocon()} give the effective configuration for recording in a run's outputs.
 */
public final class JobConfig implements Serializable, SettingValues {
  private static final long serialVersionUID = 1L;

  /** The root object of every key; keys elsewhere in this API are relative to it. */
  public static final String ROOT = "logq";

  private static volatile Config reference;
  public static final Setting<Mode> MODE = Setting.choice("mode", Mode.TRAIN, """
      What the job does: train (one loss), compare (none/standard/refined[/full] on one split),
      generate (write the synthetic data set to input.path and stop), recommend (the model of an earlier
      run, recommend.modelPath, writes the top output.recommendK items for the users of input.path).""");

  private final Mode mode;
  private final SyntheticSettings synthetic;
  private final ModelSettings model;
  private final LossSettings loss;
  private final TrainSettings train;
  private final EvaluationSettings eval;
  /** The typed views of the settings other modules declare ({@link ModuleSettings}), by class. */
  private final Map<Class<?>, SettingsView> views = new LinkedHashMap<>();
  /** Every key (relative, e.g. "train.batchSize") with its effective, normalised value, in schema order. */
  private final Map<String, Object> effective;
  /** Every key with its typed value ({@link #get}). */
  private final Map<String, Object> typed;

  private JobConfig(Config merged) {
    SettingReader r = new SettingReader(merged);
    for (Setting<?> setting : ConfigSchema.settings()) {
      r.read(setting);
    }
    // the modules' views right after the view whose keys they follow, so problems keep the documents' order
    Set<ModuleSettings.Owner> built = new HashSet<>();
    mode = r.get(MODE);
    moduleViews(r, List.of(MODE), built);
    synthetic = new SyntheticSettings(r);
    moduleViews(r, SyntheticSettings.SETTINGS, built);
    model = new ModelSettings(r);
    moduleViews(r, ModelSettings.SETTINGS, built);
    loss = new LossSettings(r);
    moduleViews(r, LossSettings.SETTINGS, built);
    train = new TrainSettings(r);
    moduleViews(r, TrainSettings.SETTINGS, built);
    eval = new EvaluationSettings(r);
    moduleViews(r, null, built);
    crossCheck(r);
    r.throwIfProblems();
    effective = Collections.unmodifiableMap(new LinkedHashMap<>(r.values));
    typed = Collections.unmodifiableMap(new LinkedHashMap<>(r.typed));
  }

  /** Builds the views of the module owners placed after one of {@code owner}'s settings (null: all the others). */
  private void moduleViews(SettingReader r, List<Setting<?>> owner, Set<ModuleSettings.Owner> built) {
    for (ModuleSettings module : ConfigSchema.modules()) {
      for (ModuleSettings.Owner o : module.owners()) {
        if ((owner == null || o.after() != null && owner.contains(o.after())) && built.add(o)) {
          o.views().apply(r).forEach(v -> views.put(v.getClass(), v));
        }
      }
    }
  }

  /**
   * The typed view of settings another module declares, e.g. the job's {@code OutputSettings} (which
   * offers {@code OutputSettings.of(config)} for this).
   */
  public <V extends SettingsView> V view(Class<V> type) {
    SettingsView v = views.get(type);
    if (v == null) {
      throw new IllegalArgumentException(type.getSimpleName() + " is not a view of a module on the class path");
    }
    return type.cast(v);
  }

  /**
   * The typed value of any declared setting, e.g. {@code config.get(TrainSettings.BATCH_SIZE)}: a new key
   * needs no accessor here.
   */
  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Setting<T> setting) {
    if (!typed.containsKey(setting.key())) {
      throw new IllegalArgumentException(setting.key() + " is not declared in ConfigSchema");
    }
    return (T) typed.get(setting.key());
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /** reference.conf alone. */
  public static JobConfig defaults() {
    return build(ConfigFactory.empty(), List.of());
  }

  /**
   * reference.conf, under {@code userFile} (may be null), under {@code overrides} ({@code key=value},
   * later ones win).
   */
  public static JobConfig load(Path userFile, List<String> overrides) {
    Config user = ConfigFactory.empty();
    if (userFile != null) {
      if (!Files.isRegularFile(userFile) || !Files.isReadable(userFile)) {
        throw new ConfigException("--conf", "Configuration file " + userFile + " does not exist or is not a readable file");
      }
      try {
        user = ConfigFactory.parseFile(userFile.toFile(),
            ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException("--conf", "Cannot parse configuration file " + userFile + ": " + e.getMessage(), e);
      }
    }
    return build(user, overrides);
  }

  /**
   * Like {@link #load} with the user file's text given directly (e.g. read from HDFS by the caller,
   * or a saved {@link #toHocon()} to resume a run); {@code originName} names it in messages.
   */
  public static JobConfig parse(String hoconText, String originName, List<String> overrides) {
    Config user;
    try {
      user = ConfigFactory.parseString(hoconText,
          ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription(originName));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(null, "Cannot parse configuration " + originName + ": " + e.getMessage(), e);
    }
    return build(user, overrides);
  }

  /** Parses a command line: flags, {@code --conf FILE} and {@code key=value} overrides. */
  public static CommandLine fromArgs(String[] args) {
    return CommandLine.parse(args);
  }

  /** This configuration with further {@code key=value} overrides on top (e.g. one loss of a comparison). */
  public JobConfig withOverrides(List<String> overrides) {
    return build(ConfigFactory.parseMap(prefixed(effective), "effective configuration"), overrides);
  }

  public JobConfig withOverrides(String... overrides) {
    return withOverrides(Arrays.asList(overrides));
  }

  private static JobConfig build(Config userFile, List<String> overrides) {
    Config ref = reference();
    Config user = rootAtLogq(userFile);
    try {
      user = user.resolveWith(user.withFallback(ref));
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(null, "Cannot resolve substitutions in the configuration: " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    List<String> badKeys = new ArrayList<>();
    checkKeys(user.root(), "", ref, problems, badKeys);
    Config cli = ConfigFactory.empty();
    for (String override : overrides == null ? List.<String>of() : overrides) {
      cli = applyOverride(cli, override, ref, problems, badKeys);
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(badKeys.isEmpty() ? null : badKeys.get(0), String.join("\n", problems));
    }
    return new JobConfig(cli.withFallback(user).withFallback(ref));
  }

  /** A user file may write its keys inside {@code logq { }} or at the top level. */
  private static Config rootAtLogq(Config user) {
    if (user.root().isEmpty() || user.root().containsKey(ROOT)) {
      return user;
    }
    return user.atPath(ROOT);
  }

  private static void checkKeys(ConfigObject object, String prefix, Config ref, List<String> problems, List<String> badKeys) {
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      String path = prefix.isEmpty() ? entry.getKey() : prefix + "." + entry.getKey();
      ConfigValue value = entry.getValue();
      String shortKey = path.startsWith(ROOT + ".") ? path.substring(ROOT.length() + 1) : path;
      String where = value.origin().description();
      if (!ref.hasPathOrNull(path)) {
        if (value.valueType() == ConfigValueType.OBJECT && path.equals(ROOT)) {
          checkKeys((ConfigObject) value, path, ref, problems, badKeys);
          continue;
        }
        List<String> leaves = new ArrayList<>();
        if (value.valueType() == ConfigValueType.OBJECT && !((ConfigObject) value).isEmpty()) {
          for (Map.Entry<String, ConfigValue> leaf : ((ConfigObject) value).toConfig().entrySet()) {
            leaves.add(shortKey + "." + leaf.getKey());
          }
          Collections.sort(leaves);
        } else {
          leaves.add(shortKey);
        }
        for (String leaf : leaves) {
          if (!path.startsWith(ROOT + ".") && knownKeys().contains(leaf)) {
            problems.add("Configuration key '" + leaf + "' is outside the " + ROOT + " { } section (" + where
                + "); move it inside or write it as " + ROOT + "." + leaf);
          } else {
            problems.add(unknownKeyMessage(leaf, where));
          }
          badKeys.add(leaf);
        }
        continue;
      }
      boolean refIsSection = ref.getValue(path).valueType() == ConfigValueType.OBJECT;
      boolean isObject = value.valueType() == ConfigValueType.OBJECT;
      if (refIsSection && isObject) {
        checkKeys((ConfigObject) value, path, ref, problems, badKeys);
      } else if (refIsSection) {
        problems.add("'" + shortKey + "' is a section, not a key (" + where + "); set its keys, e.g. "
            + firstKeys(ref.getConfig(path), shortKey));
        badKeys.add(shortKey);
      } else if (isObject) {
        problems.add("'" + shortKey + "' is a key, not a section (" + where + "): give it a value, e.g. "
            + shortKey + " = " + ref.getValue(path).render(ConfigRenderOptions.concise()));
        badKeys.add(shortKey);
      }
    }
  }

  private static String firstKeys(Config section, String shortKey) {
    List<String> keys = new ArrayList<>(new TreeSet<>(section.root().keySet()));
    return shortKey + "." + String.join(", " + shortKey + ".", keys.subList(0, Math.min(3, keys.size())));
  }

  private static Config applyOverride(Config cli, String override, Config ref, List<String> problems, List<String> badKeys) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      problems.add("Cannot read command-line argument '" + override + "': expected key=value (e.g. train.epochs=3) or a flag (see --help)");
      badKeys.add(override);
      return cli;
    }
    String key = override.substring(0, eq).trim();
    String text = override.substring(eq + 1);
    String shortKey = key.startsWith(ROOT + ".") ? key.substring(ROOT.length() + 1) : key;
    String path = ROOT + "." + shortKey;
    String where = "command line: " + override;
    boolean known;
    try {
      known = ref.hasPathOrNull(path) && ref.getValue(path).valueType() != ConfigValueType.OBJECT;
    } catch (com.typesafe.config.ConfigException e) {
      known = false;  // not even a valid path expression
    }
    if (!known) {
      problems.add(unknownKeyMessage(shortKey, where));
      badKeys.add(shortKey);
      return cli;
    }
    ConfigValue value;
    if (ref.getValue(path).valueType() == ConfigValueType.LIST) {
      String trimmed = text.trim();
      if (trimmed.startsWith("[")) {
        try {
          value = ConfigFactory.parseString("v = " + trimmed).getValue("v")
              .withOrigin(ConfigValueFactory.fromAnyRef("", where).origin());
        } catch (com.typesafe.config.ConfigException e) {
          problems.add("Invalid value for " + shortKey + ": " + text + " (" + where + "); expected a list such as [1, 10, 20] or 1,10,20");
          badKeys.add(shortKey);
          return cli;
        }
      } else {
        List<String> items = new ArrayList<>();
        for (String item : trimmed.isEmpty() ? new String[0] : trimmed.split(",", -1)) {
          items.add(item.trim());
        }
        value = ConfigValueFactory.fromIterable(items, where);
      }
    } else {
      value = ConfigValueFactory.fromAnyRef(text, where);
    }
    return cli.withValue(path, value.withOrigin(value.origin().withComments(null)));
  }

  private static String unknownKeyMessage(String key, String where) {
    String message = "Unknown configuration key '" + key + "' (" + where + ")";
    String suggestion = suggest(key);
    if (suggestion != null) {
      message += "; did you mean '" + suggestion + "'?";
    } else {
      message += "; the keys are listed in conf/logq.conf";
    }
    return message;
  }

  /** The known key closest to {@code key} (ignoring case), or null when none is close. */
  static String suggest(String key) {
    return KeySuggestions.closest(key, knownKeys());
  }

  private static Config reference() {
    Config ref = reference;
    if (ref == null) {
      synchronized (JobConfig.class) {
        if (reference == null) {
          reference = loadReference();
        }
        ref = reference;
      }
    }
    return ref;
  }

  /**
   * Our reference.conf files merged: this module's and one per module that declares settings
   * ({@link ModuleSettings}; the assembly jar concatenates them into one). Another jar's reference.conf
   * on the classpath (a different root) is ignored.
   */
  private static Config loadReference() {
    Config merged = null;
    try {
      ClassLoader loader = JobConfig.class.getClassLoader();
      Enumeration<URL> urls = loader.getResources("reference.conf");
      while (urls.hasMoreElements()) {
        Config candidate = ConfigFactory.parseURL(urls.nextElement());
        if (candidate.hasPath(ROOT)) {
          Config ours = candidate.withOnlyPath(ROOT);
          merged = merged == null ? ours : merged.withFallback(ours);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read reference.conf from the classpath", e);
    }
    if (merged == null) {
      throw new IllegalStateException("No reference.conf with a '" + ROOT + "' section on the classpath");
    }
    Config ref = merged.resolve();
    checkAgainstSchema(ref);
    return ref;
  }

  /** reference.conf is generated from the declarations (ConfigDocuments); a stale one fails loudly. */
  private static void checkAgainstSchema(Config ref) {
    Set<String> inFile = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : ref.getConfig(ROOT).entrySet()) {
      inFile.add(e.getKey());
    }
    Set<String> declared = new TreeSet<>(ConfigSchema.keys());
    if (!inFile.equals(declared)) {
      Set<String> missing = new TreeSet<>(declared);
      missing.removeAll(inFile);
      inFile.removeAll(declared);
      throw new IllegalStateException("reference.conf does not match the declared settings (missing " + missing
          + ", undeclared " + inFile + "); regenerate it: " + ConfigDocuments.REGENERATE);
    }
  }

  /** Every declared key ({@link ConfigSchema}), relative to {@code logq}, sorted. */
  public static Set<String> knownKeys() {
    return new TreeSet<>(ConfigSchema.keys());
  }

  // ---------------------------------------------------------------------------------------------
  // Effective configuration

  /** Every key (relative to {@code logq}, e.g. "train.batchSize") with its effective value, in reference order by section. */
  public Map<String, Object> toMap() {
    return effective;
  }

  /** The effective configuration as HOCON under {@code logq { }}; {@link #parse} reads it back. */
  public String toHocon() {
    Config c = ConfigFactory.parseMap(prefixed(effective), "effective configuration");
    String body = c.root().render(ConfigRenderOptions.defaults()
        .setOriginComments(false).setComments(false).setJson(false).setFormatted(true));
    return "# Effective configuration of this logq-spark run\n" + body;
  }

  private static Map<String, Object> prefixed(Map<String, Object> values) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) {
      out.put(ROOT + "." + e.getKey(), e.getValue());
    }
    return out;
  }

  @Override
  public String toString() {
    return "JobConfig" + effective;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JobConfig && ((JobConfig) o).effective.equals(effective);
  }

  @Override
  public int hashCode() {
    return effective.hashCode();
  }

  // ---------------------------------------------------------------------------------------------
  // Sections

  public Mode mode() {
    return mode;
  }

  public SyntheticSettings synthetic() {
    return synthetic;
  }

  public ModelSettings model() {
    return model;
  }

  public LossSettings loss() {
    return loss;
  }

  public TrainSettings train() {
    return train;
  }

  public EvaluationSettings eval() {
    return eval;
  }


  private void crossCheck(SettingReader r) {
    List<String> guarded = new ArrayList<>(List.of("loss.type", "train.batchSize", "loss.uniformNegatives",
        "loss.negatives", "train.syncEvery"));
    ConfigSchema.modules().forEach(m -> guarded.addAll(m.checkedKeys()));
    if (!r.allValid(guarded.toArray(String[]::new))) {
      return;  // each check below involves one of these; their own problems are already reported
    }
    // the modules' checks (the job's: input, split, early stopping and the modes), before the in-batch one
    Map<Class<?>, SettingsView> built = Collections.unmodifiableMap(views);
    ConfigSchema.modules().forEach(m -> m.check(r, built));
    boolean inBatch = Losses.create(loss.type(), r).inBatchNegatives();
    if (inBatch && train.batchSize() + loss.uniformNegatives() < 2) {
      r.problem("train.batchSize", train.batchSize(),
          "at least 2 with loss.type = " + loss.type() + " (in-batch negatives), or loss.uniformNegatives >= 1");
    }
    if (loss.negatives() == Negatives.GLOBAL) {
      // r.problem reads "expected <what>": global negatives are every worker's batch items of one synchronised step
      if (train.syncEvery() != 1) {
        r.problem("loss.negatives", "global", "train.syncEvery = 1 with global negatives (every worker's batch items"
            + " of one synchronised step), got " + train.syncEvery());
      } else if (loss.uniformNegatives() != 0) {
        r.problem("loss.negatives", "global", "loss.uniformNegatives = 0 with global negatives (the in-batch"
            + " columns alone), got " + loss.uniformNegatives());
      } else if (!inBatch && mode != Mode.COMPARE) {
        r.problem("loss.negatives", "global", "an in-batch loss (none, standard, refined) with global negatives,"
            + " not loss.type = " + loss.type());
      }
    }
  }

  /** mode: what the job does. */
  public enum Mode implements Named {
    TRAIN("train"), COMPARE("compare"), GENERATE("generate"), RECOMMEND("recommend");
    private final String name;

    Mode(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }
}
