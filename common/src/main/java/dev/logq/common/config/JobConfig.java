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
import dev.logq.common.error.ConfigException;
import java.io.IOException;
import java.io.Serializable;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
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
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The root object of every key; keys elsewhere in this API are relative to it. */
  public static final String ROOT = "logq";

  private static volatile Config reference;

  private final Mode mode;
  private final Input input;
  private final Synthetic synthetic;
  private final Split split;
  private final Recommend recommend;
  private final Model model;
  private final Loss loss;
  private final Train train;
  private final Eval eval;
  private final Output output;
  private final Run run;
  private final Spark spark;
  /** Every key (relative, e.g. "train.batchSize") with its effective, normalised value. */
  private final Map<String, Object> effective;

  private JobConfig(Config merged) {
    Reader r = new Reader(merged);
    mode = r.choice("mode", Mode.class);
    input = new Input(r);
    synthetic = new Synthetic(r);
    split = new Split(r);
    model = new Model(r);
    loss = new Loss(r);
    train = new Train(r);
    eval = new Eval(r);
    run = new Run(r);
    recommend = new Recommend(r);
    output = new Output(r, run);
    spark = new Spark(r);
    crossCheck(r);
    r.throwIfProblems();
    Set<String> unread = new TreeSet<>(knownKeys());
    unread.removeAll(r.values.keySet());
    if (!unread.isEmpty()) {
      throw new IllegalStateException("reference.conf keys without a JobConfig accessor: " + unread);
    }
    effective = Collections.unmodifiableMap(new LinkedHashMap<>(r.values));
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
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith(ROOT + ".")) {
      k = k.substring(ROOT.length() + 1);
    }
    String kLast = k.substring(k.lastIndexOf('.') + 1);
    String best = null;
    int bestScore = Integer.MAX_VALUE;
    for (String candidate : knownKeys()) {
      String c = candidate.toLowerCase(Locale.ROOT);
      String cLast = c.substring(c.lastIndexOf('.') + 1);
      int score = Math.min(levenshtein(k, c), levenshtein(kLast, cLast) + (k.contains(".") ? 1 : 0));
      if (score < bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    int allowed = Math.max(2, kLast.length() / 3);
    return bestScore <= allowed ? best : null;
  }

  private static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(substitution, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
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

  /** Our reference.conf; another jar's reference.conf on the classpath (a different root) is ignored. */
  private static Config loadReference() {
    try {
      ClassLoader loader = JobConfig.class.getClassLoader();
      Enumeration<URL> urls = loader.getResources("reference.conf");
      while (urls.hasMoreElements()) {
        Config candidate = ConfigFactory.parseURL(urls.nextElement());
        if (candidate.hasPath(ROOT)) {
          return candidate.withOnlyPath(ROOT).resolve();
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read reference.conf from the classpath", e);
    }
    throw new IllegalStateException("No reference.conf with a '" + ROOT + "' section on the classpath");
  }

  /** Every key of reference.conf, relative to {@code logq}, sorted. */
  public static Set<String> knownKeys() {
    Set<String> keys = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> e : reference().getConfig(ROOT).entrySet()) {
      keys.add(e.getKey());
    }
    return keys;
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

  public Input input() {
    return input;
  }

  public Synthetic synthetic() {
    return synthetic;
  }

  public Split split() {
    return split;
  }

  public Recommend recommend() {
    return recommend;
  }

  public Model model() {
    return model;
  }

  public Loss loss() {
    return loss;
  }

  public Train train() {
    return train;
  }

  public Eval eval() {
    return eval;
  }

  public Output output() {
    return output;
  }

  public Run run() {
    return run;
  }

  public Spark spark() {
    return spark;
  }

  /** input.*: where the interactions are and how to read them. */
  public static final class Input implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String path;
    private final InputFormat format;
    private final boolean header;
    private final String delimiter;
    private final String userColumn;
    private final String itemColumn;
    private final String timestampColumn;
    private final String weightColumn;
    private final BadRecords badRecords;
    private final String testPath;

    private Input(Reader r) {
      path = r.string("input.path").trim();
      format = r.choice("input.format", InputFormat.class);
      header = r.bool("input.header");
      String rawDelimiter = r.string("input.delimiter");
      userColumn = r.nonEmptyString("input.userColumn").trim();
      itemColumn = r.nonEmptyString("input.itemColumn").trim();
      timestampColumn = r.string("input.timestampColumn").trim();
      weightColumn = r.string("input.weightColumn").trim();
      badRecords = r.choice("input.badRecords", BadRecords.class);
      testPath = r.string("input.testPath").trim();

      String d = rawDelimiter.replace("\\t", "\t");
      if (d.isEmpty()) {
        d = format == InputFormat.CSV ? "," : "\t";
      }
      if (d.indexOf('\n') >= 0 || d.indexOf('\r') >= 0 || (format == InputFormat.CSV && d.indexOf('"') >= 0)) {
        r.problem("input.delimiter", rawDelimiter, "a delimiter without line breaks (and without '\"' for csv)");
      }
      delimiter = d;
      if (userColumn.equals(itemColumn)) {
        r.problem("input.itemColumn", itemColumn, "a column other than input.userColumn");
      }
      for (String key : new String[] {"input.timestampColumn", "input.weightColumn"}) {
        String c = key.endsWith("timestampColumn") ? timestampColumn : weightColumn;
        if (!c.isEmpty() && (c.equals(userColumn) || c.equals(itemColumn))) {
          r.problem(key, c, "a column other than the user and item columns, or \"\"");
        }
      }
      if (!timestampColumn.isEmpty() && timestampColumn.equals(weightColumn)) {
        r.problem("input.weightColumn", weightColumn, "a column other than input.timestampColumn");
      }
    }

    /** The input path or glob; empty means the embedded synthetic generator. */
    public String path() {
      return path;
    }

    public boolean isSynthetic() {
      return path.isEmpty();
    }

    public InputFormat format() {
      return format;
    }

    public boolean header() {
      return header;
    }

    /** The resolved field delimiter for csv/tsv ("," or a tab unless set). */
    public String delimiter() {
      return delimiter;
    }

    public String userColumn() {
      return userColumn;
    }

    public String itemColumn() {
      return itemColumn;
    }

    /** The timestamp column, or "" when the data has none (input order then stands in for time). */
    public String timestampColumn() {
      return timestampColumn;
    }

    public boolean hasTimestampColumn() {
      return !timestampColumn.isEmpty();
    }

    /** The weight column, or "" when every row weighs 1. */
    public String weightColumn() {
      return weightColumn;
    }

    public boolean hasWeightColumn() {
      return !weightColumn.isEmpty();
    }

    public BadRecords badRecords() {
      return badRecords;
    }

    /** The held-out input for split.method = given; empty otherwise. */
    public String testPath() {
      return testPath;
    }
  }

  /** synthetic.*: the embedded generator (used when input.path is empty, and by mode = generate). */
  public static final class Synthetic implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int users;
    private final int items;
    private final int interactionsPerUser;
    private final int latentDim;
    private final double zipfExponent;
    private final double plantedTemperature;
    private final long seed;
    private final int partitions;

    private Synthetic(Reader r) {
      users = r.intValue("synthetic.users", 1, Integer.MAX_VALUE);
      items = r.intValue("synthetic.items", 1, Integer.MAX_VALUE);
      interactionsPerUser = r.intValue("synthetic.interactionsPerUser", 1, 1_000_000);
      latentDim = r.intValue("synthetic.latentDim", 1, 4096);
      zipfExponent = r.doubleValue("synthetic.zipfExponent", 0, true, 10, true);
      plantedTemperature = r.doubleValue("synthetic.plantedTemperature", 0, false, Double.MAX_VALUE, true);
      seed = r.longValue("synthetic.seed", Long.MIN_VALUE, Long.MAX_VALUE);
      partitions = r.intValue("synthetic.partitions", 0, 1_000_000);
    }

    public int users() {
      return users;
    }

    public int items() {
      return items;
    }

    public int interactionsPerUser() {
      return interactionsPerUser;
    }

    public int latentDim() {
      return latentDim;
    }

    public double zipfExponent() {
      return zipfExponent;
    }

    public double plantedTemperature() {
      return plantedTemperature;
    }

    public long seed() {
      return seed;
    }

    /** Spark partitions for generation; 0 means "choose from the size". */
    public int partitions() {
      return partitions;
    }
  }

  /** split.*: how the interactions become train and test. */
  public static final class Split implements Serializable {
    private static final long serialVersionUID = 1L;
    private final SplitMethod method;
    private final double testFraction;
    private final int minUserCount;
    private final int minItemCount;
    private final long seed;
    /** 0: no validation split; -1: leave-last-out of the training part; else the held-out share. */
    private final double validation;
    private final int validationUsers;

    private Split(Reader r) {
      method = r.choice("split.method", SplitMethod.class);
      testFraction = r.doubleValue("split.testFraction", 0, false, 1, false);
      minUserCount = r.intValue("split.minUserCount", 1, Integer.MAX_VALUE);
      minItemCount = r.intValue("split.minItemCount", 1, Integer.MAX_VALUE);
      seed = r.longValue("split.seed", Long.MIN_VALUE, Long.MAX_VALUE);
      String v = r.string("split.validation").trim().toLowerCase(Locale.ROOT);
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
      validationUsers = r.intValue("split.validationUsers", 0, Integer.MAX_VALUE);
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
  }

  /** model.*: the two towers. */
  public static final class Model implements Serializable {
    private static final long serialVersionUID = 1L;
    private final UserTower userTower;
    private final int historyLength;
    private final HistoryPooling historyPooling;
    private final int sequenceLength;
    private final int sequenceBlocks;
    private final int sequenceHeads;
    private final int sequenceHidden;
    private final double sequenceDropout;
    private final boolean sequenceSharedEmbeddings;
    private final int sequenceStride;
    private final int embeddingDim;
    private final int[] userMlp;
    private final int[] itemMlp;
    private final int outputDim;
    private final boolean l2Normalize;
    private final double temperature;
    private final double initStd;

    private Model(Reader r) {
      userTower = r.choice("model.userTower", UserTower.class);
      historyLength = r.intValue("model.historyLength", 1, 1_000_000);
      historyPooling = r.choice("model.historyPooling", HistoryPooling.class);
      sequenceLength = r.intValue("model.sequenceLength", 1, 100_000);
      sequenceBlocks = r.intValue("model.sequenceBlocks", 0, 64);
      sequenceHeads = r.intValue("model.sequenceHeads", 1, 1024);
      sequenceHidden = r.intValue("model.sequenceHidden", 0, 65_536);
      sequenceDropout = r.doubleValue("model.sequenceDropout", 0, true, 1, false);
      sequenceSharedEmbeddings = r.bool("model.sequenceSharedEmbeddings");
      sequenceStride = r.intValue("model.sequenceStride", 0, 100_000_000);
      embeddingDim = r.intValue("model.embeddingDim", 1, 65_536);
      userMlp = r.intList("model.userMlp", 1, true);
      itemMlp = r.intList("model.itemMlp", 1, true);
      outputDim = r.intValue("model.outputDim", 1, 65_536);
      l2Normalize = r.bool("model.l2Normalize");
      temperature = r.doubleValue("model.temperature", 0, false, Double.MAX_VALUE, true);
      initStd = r.doubleValue("model.initStd", 0, false, Double.MAX_VALUE, true);
      if (userTower == UserTower.SEQUENCE && embeddingDim % sequenceHeads != 0) {
        r.problem("model.sequenceHeads", sequenceHeads,
            "a divisor of model.embeddingDim (" + embeddingDim + "): each head attends over embeddingDim / heads");
      }
      if ((userMlp.length == 0 || itemMlp.length == 0) && outputDim != embeddingDim) {
        r.problem("model.outputDim", outputDim,
            "model.embeddingDim (" + embeddingDim + "): a tower without an MLP (model.userMlp or model.itemMlp = [])"
                + " outputs its embedding");
      }
    }

    public UserTower userTower() {
      return userTower;
    }

    public int historyLength() {
      return historyLength;
    }

    public HistoryPooling historyPooling() {
      return historyPooling;
    }

    public int sequenceLength() {
      return sequenceLength;
    }

    public int sequenceBlocks() {
      return sequenceBlocks;
    }

    public int sequenceHeads() {
      return sequenceHeads;
    }

    /** 0: embeddingDim. */
    public int sequenceHidden() {
      return sequenceHidden;
    }

    public double sequenceDropout() {
      return sequenceDropout;
    }

    public boolean sequenceSharedEmbeddings() {
      return sequenceSharedEmbeddings;
    }

    /** 0: sequenceLength. */
    public int sequenceStride() {
      return sequenceStride;
    }

    public int embeddingDim() {
      return embeddingDim;
    }

    /** Hidden layer sizes of the user MLP (a copy; empty: no MLP). */
    public int[] userMlp() {
      return userMlp.clone();
    }

    public int[] itemMlp() {
      return itemMlp.clone();
    }

    public int outputDim() {
      return outputDim;
    }

    public boolean l2Normalize() {
      return l2Normalize;
    }

    public double temperature() {
      return temperature;
    }

    public double initStd() {
      return initStd;
    }
  }

  /** loss.*: which loss of LOSSES.md and its options. */
  public static final class Loss implements Serializable {
    private static final long serialVersionUID = 1L;
    private final LossType type;
    private final boolean standardCorrectPositive;
    private final int uniformNegatives;
    private final int bceNegatives;

    private Loss(Reader r) {
      type = r.choice("loss.type", LossType.class);
      standardCorrectPositive = r.bool("loss.standardCorrectPositive");
      uniformNegatives = r.intValue("loss.uniformNegatives", 0, 1_000_000);
      bceNegatives = r.intValue("loss.bceNegatives", 1, 1_000_000);
    }

    public LossType type() {
      return type;
    }

    public boolean standardCorrectPositive() {
      return standardCorrectPositive;
    }

    public int uniformNegatives() {
      return uniformNegatives;
    }

    public int bceNegatives() {
      return bceNegatives;
    }
  }

  /** train.*: optimisation and distribution. */
  public static final class Train implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int batchSize;
    private final int epochs;
    private final Optimizer optimizer;
    private final double learningRate;
    private final double adamBeta1;
    private final double adamBeta2;
    private final double epsilon;
    private final int workers;
    private final int syncEvery;
    private final SyncBackend syncBackend;
    private final long seed;
    private final int checkpointEverySteps;
    private final int maxPendingPatchMegabytes;
    private final String earlyStoppingMetric;
    private final int earlyStoppingPatience;

    private Train(Reader r) {
      earlyStoppingMetric = r.nonEmptyString("train.earlyStopping.metric").trim().toLowerCase(Locale.ROOT);
      if (!earlyStoppingMetric.matches("(recall|ndcg)@[0-9]+")) {
        r.problem("train.earlyStopping.metric", earlyStoppingMetric, "recall@K or ndcg@K, e.g. recall@10");
      }
      earlyStoppingPatience = r.intValue("train.earlyStopping.patience", 0, Integer.MAX_VALUE);
      batchSize = r.intValue("train.batchSize", 1, 1 << 24);
      epochs = r.intValue("train.epochs", 1, 1_000_000);
      optimizer = r.choice("train.optimizer", Optimizer.class);
      learningRate = r.doubleValue("train.learningRate", 0, false, Double.MAX_VALUE, true);
      adamBeta1 = r.doubleValue("train.adamBeta1", 0, true, 1, false);
      adamBeta2 = r.doubleValue("train.adamBeta2", 0, true, 1, false);
      epsilon = r.doubleValue("train.epsilon", 0, false, Double.MAX_VALUE, true);
      workers = r.intValue("train.workers", 1, 100_000);
      syncEvery = r.intValue("train.syncEvery", 1, Integer.MAX_VALUE);
      syncBackend = r.choice("train.syncBackend", SyncBackend.class);
      seed = r.longValue("train.seed", Long.MIN_VALUE, Long.MAX_VALUE);
      checkpointEverySteps = r.intValue("train.checkpointEverySteps", 0, Integer.MAX_VALUE);
      maxPendingPatchMegabytes = r.intValue("train.maxPendingPatchMegabytes", 0, Integer.MAX_VALUE);
    }

    public int batchSize() {
      return batchSize;
    }

    public int epochs() {
      return epochs;
    }

    public Optimizer optimizer() {
      return optimizer;
    }

    public double learningRate() {
      return learningRate;
    }

    public double adamBeta1() {
      return adamBeta1;
    }

    public double adamBeta2() {
      return adamBeta2;
    }

    public double epsilon() {
      return epsilon;
    }

    public int workers() {
      return workers;
    }

    public int syncEvery() {
      return syncEvery;
    }

    public SyncBackend syncBackend() {
      return syncBackend;
    }

    public long seed() {
      return seed;
    }

    public int checkpointEverySteps() {
      return checkpointEverySteps;
    }

    public int maxPendingPatchMegabytes() {
      return maxPendingPatchMegabytes;
    }

    /** The validation metric shown per epoch and used by early stopping, e.g. recall@10. */
    public String earlyStoppingMetric() {
      return earlyStoppingMetric;
    }

    /** Epochs without improvement of the validation metric before training stops (0: never stop early). */
    public int earlyStoppingPatience() {
      return earlyStoppingPatience;
    }
  }

  /** eval.*: full-catalog retrieval metrics. */
  public static final class Eval implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int[] k;
    private final boolean filterSeen;
    private final double headShare;
    private final double torsoShare;
    private final int itemBlockSize;
    private final int userBlockSize;

    private Eval(Reader r) {
      k = r.intList("eval.k", 1, false);
      filterSeen = r.bool("eval.filterSeen");
      headShare = r.doubleValue("eval.headShare", 0, false, 1, true);
      torsoShare = r.doubleValue("eval.torsoShare", 0, true, 1, true);
      itemBlockSize = r.intValue("eval.itemBlockSize", 1, 1 << 24);
      userBlockSize = r.intValue("eval.userBlockSize", 1, 1 << 24);
      if (Arrays.stream(k).distinct().count() != k.length) {
        r.problem("eval.k", Arrays.toString(k), "distinct cut-offs");
      }
      if (headShare + torsoShare > 1 + 1e-12) {
        r.problem("eval.torsoShare", torsoShare, "at most 1 - eval.headShare = " + (1 - headShare));
      }
    }

    /** The cut-offs K, in the order given (a copy). */
    public int[] k() {
      return k.clone();
    }

    public int maxK() {
      return Arrays.stream(k).max().orElse(0);
    }

    public boolean filterSeen() {
      return filterSeen;
    }

    public double headShare() {
      return headShare;
    }

    public double torsoShare() {
      return torsoShare;
    }

    public int itemBlockSize() {
      return itemBlockSize;
    }

    public int userBlockSize() {
      return userBlockSize;
    }
  }

  /** recommend.*: the recommend mode (a saved model, recommendations for the users of input.path). */
  public static final class Recommend implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String modelPath;

    private Recommend(Reader r) {
      modelPath = r.string("recommend.modelPath").trim();
    }

    /** The output of an earlier train run whose model recommends (mode = recommend). */
    public String modelPath() {
      return modelPath;
    }
  }

  /** output.*: where the run writes. */
  public static final class Output implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^}]*)}");
    private final String pathTemplate;
    private final boolean overwrite;
    private final boolean skipIfComplete;
    private final boolean writeEmbeddings;
    private final boolean report;
    private final int recommendK;
    private final boolean recommendAllUsers;
    private final String path;

    private Output(Reader r, Run run) {
      recommendK = r.intValue("output.recommendK", 0, 100_000);
      recommendAllUsers = r.bool("output.recommendAllUsers");
      pathTemplate = r.nonEmptyString("output.path").trim();
      overwrite = r.bool("output.overwrite");
      skipIfComplete = r.bool("output.skipIfComplete");
      writeEmbeddings = r.bool("output.writeEmbeddings");
      report = r.bool("output.report");
      path = resolve(r, run);
    }

    /** Replaces {ds} and {runId}. */
    private String resolve(Reader r, Run run) {
      Matcher m = PLACEHOLDER.matcher(pathTemplate);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        String name = m.group(1);
        String value;
        if (name.equals("ds")) {
          value = run.ds();
        } else if (name.equals("runId")) {
          value = run.id();
        } else {
          r.problem("output.path", pathTemplate, "only the placeholders {ds} and {runId}, not {" + name + "}");
          value = "";
        }
        if (value.isEmpty() && (name.equals("ds") || name.equals("runId"))) {
          r.problem("output.path", pathTemplate,
              "a value for run." + (name.equals("ds") ? "ds" : "id") + " since the path uses {" + name + "}");
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(value));
      }
      m.appendTail(sb);
      return sb.toString();
    }

    /** The output path with {ds} and {runId} replaced. */
    public String path() {
      return path;
    }

    /** output.path as configured, placeholders included. */
    public String pathTemplate() {
      return pathTemplate;
    }

    public boolean overwrite() {
      return overwrite;
    }

    /** A complete output of the same configuration makes the run a no-op (exit 0); see reference.conf. */
    public boolean skipIfComplete() {
      return skipIfComplete;
    }

    public boolean writeEmbeddings() {
      return writeEmbeddings;
    }

    public boolean report() {
      return report;
    }

    /** Top-K recommendations written per user (0: none). */
    public int recommendK() {
      return recommendK;
    }

    /** Recommendations for every user, not only the test users. */
    public boolean recommendAllUsers() {
      return recommendAllUsers;
    }
  }

  /** run.*: run-scoped values such as Airflow's ds. */
  public static final class Run implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String ds;
    private final String id;

    private Run(Reader r) {
      ds = r.string("run.ds").trim();
      id = r.string("run.id").trim();
    }

    public String ds() {
      return ds;
    }

    public String id() {
      return id;
    }
  }

  /** spark.*: session settings for runs that create their own session. */
  public static final class Spark implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String master;
    private final String appName;

    private Spark(Reader r) {
      master = r.string("spark.master").trim();
      appName = r.nonEmptyString("spark.appName").trim();
    }

    /** The master URL, or "" for whatever spark-submit / the environment says. */
    public String master() {
      return master;
    }

    public String appName() {
      return appName;
    }
  }

  private void crossCheck(Reader r) {
    if (!r.allValid("split.method", "input.path", "input.testPath", "mode", "loss.type", "train.batchSize",
        "loss.uniformNegatives")) {
      return;  // each check below involves one of these; their own problems are already reported
    }
    if (train.earlyStoppingPatience() > 0 && !split.hasValidation()) {
      r.problem("train.earlyStopping.patience", train.earlyStoppingPatience(),
          "0 when split.validation = none (early stopping needs the validation split; the test split is never used)");
    }
    if (split.method() == SplitMethod.GIVEN && input.testPath().isEmpty()) {
      r.problem("input.testPath", "", "a path when split.method = given");
    }
    if (split.method() == SplitMethod.GIVEN && input.isSynthetic()) {
      r.problem("split.method", "given", "another method when input.path is empty (the synthetic data has no separate test set)");
    }
    if (mode == Mode.RECOMMEND) {
      if (recommend.modelPath().isEmpty()) {
        r.problem("recommend.modelPath", "", "the output of an earlier train run when mode = recommend");
      }
      if (input.isSynthetic()) {
        r.problem("input.path", "", "the interactions of the users to recommend for when mode = recommend");
      }
      if (output.recommendK() < 1) {
        r.problem("output.recommendK", output.recommendK(), "at least 1 when mode = recommend (the K of the top K)");
      }
    }
    if (mode == Mode.GENERATE && input.isSynthetic()) {
      r.problem("input.path", "", "a path when mode = generate (the synthetic data is written there)");
    }
    boolean inBatch = loss.type() == LossType.NONE || loss.type() == LossType.STANDARD || loss.type() == LossType.REFINED;
    if (inBatch && train.batchSize() + loss.uniformNegatives() < 2) {
      r.problem("train.batchSize", train.batchSize(),
          "at least 2 with loss.type = " + loss.type().configName() + " (in-batch negatives), or loss.uniformNegatives >= 1");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Enumerated values

  /** An enumerated value as written in configuration files. */
  public interface Named {
    String configName();
  }

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

  public enum InputFormat implements Named {
    PARQUET("parquet"), CSV("csv"), TSV("tsv"), GOWALLA("gowalla");
    private final String name;

    InputFormat(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  public enum BadRecords implements Named {
    FAIL("fail"), SKIP("skip");
    private final String name;

    BadRecords(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

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

  public enum UserTower implements Named {
    ID("id"), HISTORY("history"), SEQUENCE("sequence");
    private final String name;

    UserTower(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  public enum HistoryPooling implements Named {
    MEAN("mean"), ATTENTION("attention");
    private final String name;

    HistoryPooling(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  /** loss.type; {@link #configName()} equals {@code dev.logq.common.loss.Loss#name()}. */
  public enum LossType implements Named {
    NONE("none"), STANDARD("standard"), REFINED("refined"), FULL("full"), UNIFORM_BCE("uniform-bce");
    private final String name;

    LossType(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }

    /** The loss type named {@code name} (as in configuration), or a ConfigException naming {@code key}. */
    public static LossType fromName(String key, String name) {
      for (LossType t : values()) {
        if (t.name.equalsIgnoreCase(name.trim())) {
          return t;
        }
      }
      throw new ConfigException(key, "Invalid value for " + key + ": " + name + "; expected one of " + names(LossType.class));
    }
  }

  public enum Optimizer implements Named {
    ADAM("adam"), ADAGRAD("adagrad"), SGD("sgd");
    private final String name;

    Optimizer(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  /** train.syncBackend: how workers exchange their contributions each round. */
  public enum SyncBackend implements Named {
    ROUNDS("rounds"), BARRIER("barrier"), COLLECTIVE("collective");

    private final String name;

    SyncBackend(String name) {
      this.name = name;
    }

    @Override
    public String configName() {
      return name;
    }
  }

  static <E extends Enum<E> & Named> String names(Class<E> type) {
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.configName());
    }
    return String.join(", ", names);
  }

  // ---------------------------------------------------------------------------------------------

  /** Reads typed values from the merged configuration, records them, and collects every problem. */
  private static final class Reader {
    private final Config config;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> problemKeys = new ArrayList<>();

    Reader(Config config) {
      this.config = config;
    }

    private ConfigValue raw(String key) {
      String path = ROOT + "." + key;
      if (!config.hasPathOrNull(path)) {
        throw new IllegalStateException("JobConfig reads '" + key + "', which reference.conf does not define");
      }
      if (config.getIsNull(path)) {
        return null;
      }
      return config.getValue(path);
    }

    void problem(String key, Object value, String expected) {
      problems.add("Invalid value for " + key + ": " + display(value) + where(key) + "; expected " + expected);
      problemKeys.add(key);
    }

    private String where(String key) {
      ConfigValue v = config.hasPath(ROOT + "." + key) ? config.getValue(ROOT + "." + key) : null;
      if (v == null || v.origin().description() == null) {
        return "";
      }
      String d = v.origin().description();
      return d.startsWith("reference.conf") ? " (the default)" : " (" + d + ")";
    }

    private static String display(Object value) {
      if (value instanceof ConfigValue) {
        return ((ConfigValue) value).render(ConfigRenderOptions.concise());
      }
      if (value instanceof String) {
        return "\"" + value + "\"";
      }
      return String.valueOf(value);
    }

    boolean allValid(String... keys) {
      for (String key : keys) {
        if (problemKeys.contains(key)) {
          return false;
        }
      }
      return true;
    }

    void throwIfProblems() {
      if (!problems.isEmpty()) {
        throw new ConfigException(problemKeys.get(0), String.join("\n", problems));
      }
    }

    /** Scalar text (numbers and booleans as written); null and lists/objects are problems. */
    private String scalar(String key, String expected) {
      ConfigValue v = raw(key);
      if (v == null) {
        problem(key, "null", expected);
        return null;
      }
      if (v.valueType() == ConfigValueType.LIST || v.valueType() == ConfigValueType.OBJECT) {
        problem(key, v, expected);
        return null;
      }
      return config.getString(ROOT + "." + key);
    }

    String string(String key) {
      String s = scalar(key, "a string");
      s = s == null ? "" : s;
      values.put(key, s);
      return s;
    }

    String nonEmptyString(String key) {
      String s = string(key);
      if (s.trim().isEmpty()) {
        problem(key, s, "a non-empty string");
      }
      return s;
    }

    boolean bool(String key) {
      String s = scalar(key, "true or false");
      boolean result = false;
      if (s != null) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
          case "true": case "yes": case "on":
            result = true;
            break;
          case "false": case "no": case "off":
            result = false;
            break;
          default:
            problem(key, s, "true or false");
        }
      }
      values.put(key, result);
      return result;
    }

    long longValue(String key, long min, long max) {
      String expected = range("an integer", min, max);
      String s = scalar(key, expected);
      long result = min;
      if (s != null) {
        Long parsed = parseInteger(s);
        if (parsed == null || parsed < min || parsed > max) {
          problem(key, s, expected);
        } else {
          result = parsed;
        }
      }
      values.put(key, result);
      return result;
    }

    int intValue(String key, int min, int max) {
      String expected = range("an integer", min, max);
      String s = scalar(key, expected);
      int result = min;
      if (s != null) {
        Long parsed = parseInteger(s);
        if (parsed == null || parsed < min || parsed > max) {
          problem(key, s, expected);
        } else {
          result = (int) (long) parsed;
        }
      }
      values.put(key, result);
      return result;
    }

    private static String range(String what, long min, long max) {
      boolean hasMin = min != Long.MIN_VALUE && min != Integer.MIN_VALUE;
      boolean hasMax = max != Long.MAX_VALUE && max != Integer.MAX_VALUE;
      if (hasMin && hasMax) {
        return what + " from " + min + " to " + max;
      }
      if (hasMin) {
        return what + " >= " + min;
      }
      return hasMax ? what + " <= " + max : what;
    }

    /** An integer written as one (or as a number with no fractional part, e.g. 1e3), else null. */
    private static Long parseInteger(String s) {
      String t = s.trim();
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        try {
          double d = Double.parseDouble(t);
          if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
            return (long) d;
          }
        } catch (NumberFormatException ignored) {
          // not a number at all
        }
        return null;
      }
    }

    double doubleValue(String key, double min, boolean minInclusive, double max, boolean maxInclusive) {
      String expected = "a number " + (min == -Double.MAX_VALUE ? "" : (minInclusive ? ">= " : "> ") + min)
          + (max == Double.MAX_VALUE ? "" : (min == -Double.MAX_VALUE ? "" : " and ") + (maxInclusive ? "<= " : "< ") + max);
      String s = scalar(key, expected.trim());
      double result = min;
      if (s != null) {
        double d;
        try {
          d = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
          d = Double.NaN;
        }
        boolean ok = Double.isFinite(d)
            && (minInclusive ? d >= min : d > min)
            && (maxInclusive ? d <= max : d < max);
        if (!ok) {
          problem(key, s, expected.trim());
        } else {
          result = d;
        }
      }
      values.put(key, result);
      return result;
    }

    <E extends Enum<E> & Named> E choice(String key, Class<E> type) {
      String expected = "one of " + names(type);
      String s = scalar(key, expected);
      E[] constants = type.getEnumConstants();
      E result = constants[0];
      boolean found = false;
      if (s != null) {
        for (E e : constants) {
          if (e.configName().equalsIgnoreCase(s.trim())) {
            result = e;
            found = true;
          }
        }
        if (!found) {
          problem(key, s, expected);
        }
      }
      values.put(key, result.configName());
      return result;
    }

    int[] intList(String key, int min, boolean allowEmpty) {
      String expected = "a list of integers >= " + min + (allowEmpty ? "" : " (at least one)") + ", e.g. [1, 10]";
      ConfigValue v = raw(key);
      List<Integer> result = new ArrayList<>();
      if (v == null || v.valueType() != ConfigValueType.LIST) {
        problem(key, v == null ? "null" : v, expected);
      } else {
        for (ConfigValue element : (ConfigList) v) {
          Long parsed = element.valueType() == ConfigValueType.NUMBER || element.valueType() == ConfigValueType.STRING
              ? parseInteger(String.valueOf(element.unwrapped())) : null;
          if (parsed == null || parsed < min || parsed > Integer.MAX_VALUE) {
            problem(key, v, expected);
            result.clear();
            break;
          }
          result.add((int) (long) parsed);
        }
        if (!allowEmpty && result.isEmpty() && !problemKeys.contains(key)) {
          problem(key, v, expected);
        }
      }
      values.put(key, List.copyOf(result));
      return result.stream().mapToInt(Integer::intValue).toArray();
    }
  }
}
