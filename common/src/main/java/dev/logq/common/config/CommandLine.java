package dev.logq.common.config;

import dev.logq.common.error.ConfigException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * One parsed invocation of the job: {@code [--conf FILE] [--mode MODE] [--overwrite] [--resume] [--verbose] [--help]
 * [key=value ...]}. Flags may also be written {@code --conf=FILE} and {@code --mode=MODE}. {@code --mode}
 * and {@code --overwrite} are shorthands for the overrides {@code mode=...} and
 * {@code output.overwrite=true} and win over them.
 */
public final class CommandLine {
  private final Path confFile;
  private final boolean overwrite;
  private final boolean resume;
  private final boolean help;
  private boolean verbose;
  private final JobConfig.Mode mode;
  private final List<String> overrides;

  private CommandLine(Path confFile, boolean overwrite, boolean resume, boolean help, JobConfig.Mode mode, List<String> overrides) {
    this.confFile = confFile;
    this.overwrite = overwrite;
    this.resume = resume;
    this.help = help;
    this.mode = mode;
    this.overrides = Collections.unmodifiableList(new ArrayList<>(overrides));
  }

  /** Parses {@code args}; an unknown flag or a malformed argument is a {@link ConfigException}. */
  public static CommandLine parse(String[] args) {
    Path conf = null;
    boolean overwrite = false;
    boolean resume = false;
    boolean help = false;
    boolean verbose = false;
    JobConfig.Mode mode = null;
    List<String> overrides = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("-")) {
        if (arg.indexOf('=') <= 0) {
          throw new ConfigException(arg, "Cannot read command-line argument '" + arg
              + "': expected key=value (e.g. train.epochs=3) or an option. " + optionsLine());
        }
        overrides.add(arg);
        continue;
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--conf":
        case "--mode":
          if (value == null) {
            if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
              throw new ConfigException(name, "Option " + name + " needs a value: " + name
                  + (name.equals("--conf") ? " FILE" : " train|compare|generate|recommend"));
            }
            value = args[++i];
          }
          if (name.equals("--conf")) {
            if (conf != null) {
              throw new ConfigException(name, "Option --conf given twice (" + conf + " and " + value + "); give one file");
            }
            conf = Path.of(value);
          } else {
            mode = parseMode(value);
          }
          break;
        case "--overwrite":
        case "--resume":
        case "--verbose":
        case "--help":
        case "-h":
          if (value != null) {
            throw new ConfigException(name, "Option " + name + " takes no value (got '" + arg + "')");
          }
          if (name.equals("--overwrite")) {
            overwrite = true;
          } else if (name.equals("--resume")) {
            resume = true;
          } else if (name.equals("--verbose")) {
            verbose = true;
          } else {
            help = true;
          }
          break;
        default:
          throw new ConfigException(name, "Unknown option '" + name + "'. " + optionsLine());
      }
    }
    CommandLine parsed = new CommandLine(conf, overwrite, resume, help, mode, overrides);
    parsed.verbose = verbose;
    return parsed;
  }

  private static JobConfig.Mode parseMode(String value) {
    for (JobConfig.Mode m : JobConfig.Mode.values()) {
      if (m.configName().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new ConfigException("--mode", "Invalid value for --mode: '" + value + "'; expected one of "
        + String.join(", ", java.util.Arrays.stream(JobConfig.Mode.values()).map(JobConfig.Mode::configName).toList()));
  }

  private static String optionsLine() {
    return "Options: --conf FILE, --mode train|compare|generate|recommend, --overwrite, --resume, --verbose, --help; "
        + "anything else is key=value.";
  }

  /** The text --help prints. */
  public static String usage() {
    return String.join("\n",
        "Usage: logq-job [options] [key=value ...]",
        "",
        "Trains two-tower retrieval models with in-batch sampled softmax and logQ correction.",
        "",
        "Options:",
        "  --conf FILE       HOCON configuration file (see conf/logq.conf for every key)",
        "  --mode MODE       train | compare | generate | recommend (same as mode=MODE)",
        "  --overwrite       replace an existing output (same as output.overwrite=true)",
        "  --resume          continue an interrupted run from its last checkpoint in output.path",
        "  --verbose         also show Spark's and Hadoop's INFO logging on the console (it is always in",
        "                    the run's log file, <output.path>/logs/job.log)",
        "  --help, -h        print this text",
        "",
        "key=value           overrides one configuration key, with or without the 'logq.' prefix,",
        "                    e.g. train.epochs=3 loss.type=standard eval.k=1,10,20",
        "",
        "Exit codes: 0 success, 1 runtime failure, 2 bad configuration, 3 bad input data,",
        "            4 output exists and --overwrite was not given.");
  }

  /** The configuration this invocation describes: reference.conf, --conf, overrides, then flags. */
  public JobConfig config() {
    return JobConfig.load(confFile, effectiveOverrides());
  }

  /** The key=value overrides with the flags that stand for keys appended (so they win). */
  public List<String> effectiveOverrides() {
    List<String> all = new ArrayList<>(overrides);
    if (mode != null) {
      all.add("mode=" + mode.configName());
    }
    if (overwrite) {
      all.add("output.overwrite=true");
    }
    return all;
  }

  /** The --conf file, or null. */
  public Path confFile() {
    return confFile;
  }

  public boolean overwrite() {
    return overwrite;
  }

  public boolean resume() {
    return resume;
  }

  /** --verbose: Spark's and Hadoop's INFO logging on the console too, not only in the run's log file. */
  public boolean verbose() {
    return verbose;
  }

  public boolean help() {
    return help;
  }

  /** The --mode flag, or null when not given (the configuration's mode applies). */
  public JobConfig.Mode mode() {
    return mode;
  }

  /** The key=value arguments as given. */
  public List<String> overrides() {
    return overrides;
  }
}
