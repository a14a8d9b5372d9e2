package dev.logq.job;

import dev.logq.common.config.CommandLine;
import dev.logq.common.config.JobConfig;
import dev.logq.common.error.ExitCode;
import dev.logq.common.error.LogqException;
import dev.logq.job.console.JobConsole;
import dev.logq.job.console.RunLog;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.ingest.SyntheticData;
import dev.logq.job.output.OutputSettings;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point spark-submit runs: parses the command line, starts (or joins) the Spark session,
 * runs the mode, and exits with a code that says what went wrong: 0 success, 2 bad configuration,
 * 3 bad input data, 4 output exists (no --overwrite), 1 any other failure.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    int code = run(args);
    // In YARN cluster mode the driver runs inside the ApplicationMaster, which reports any System.exit
    // before main returns as a failure (EXIT_EARLY) and lets YARN start another attempt: a successful
    // run must return normally there. Everywhere else the exit status carries the code.
    boolean insideYarnApplicationMaster = System.getProperty("spark.yarn.app.id") != null;
    if (code != ExitCode.OK.code() || !insideYarnApplicationMaster) {
      System.exit(code);
    }
  }

  /** Runs the job and returns its exit code instead of exiting (tests call this). */
  public static int run(String[] args) {
    CommandLine cli;
    JobConfig config;
    try {
      cli = CommandLine.parse(args);
      if (cli.help()) {
        System.out.println(CommandLine.usage());
        return ExitCode.OK.code();
      }
      // Inside the try: a missing --conf file or an unknown key is exit 2 with its message, not a crash.
      config = cli.config();
    } catch (RuntimeException e) {
      return fail(e);
    }
    boolean ownSession = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = null;
    RunLog log = null;
    boolean ok = false;
    try {
      // Spark's INFO logging to the run's log file (WARN up on stderr); the job's own lines on stdout.
      log = RunLog.start(cli.verbose());
      JobConsole.installOnStdout();
      JobConsole.mark();
      spark = session(config);
      switch (config.mode()) {
        case GENERATE -> {
          long rows = SyntheticData.write(spark, config, OutputSettings.of(config).overwrite());
          LOG.info("Wrote {} synthetic interactions to {}", rows, InputSettings.of(config).path());
          JobConsole.stage("generate", String.format(java.util.Locale.ROOT, "%,d synthetic interactions to %s", rows,
              InputSettings.of(config).path()));
        }
        case TRAIN, COMPARE -> new Pipeline(spark, config, cli.resume()).run();
        case RECOMMEND -> RecommendMode.run(spark, config);
        default -> throw new IllegalStateException("unknown mode " + config.mode());
      }
      LOG.info("Done.");
      ok = true;
      return ExitCode.OK.code();
    } catch (Throwable t) {
      return fail(t);
    } finally {
      if (spark != null && ownSession) {
        spark.stop();
      }
      if (log != null) {
        // The log stays on local disk when it did not reach the output (a failure, nothing to do, generate).
        boolean keep = !ok || !log.inOutput();
        if (keep) {
          JobConsole.line("log: " + log.localFile());
        }
        log.close(keep);
      }
      JobConsole.uninstall();
    }
  }

  private static int fail(Throwable t) {
    ExitCode code = ExitCode.of(t);
    LogqException known = LogqException.find(t);
    if (known != null) {
      // A problem the user can fix: the message says what and where; no stack trace needed.
      LOG.error("{}: {}", code, known.getMessage());
      System.err.println("logq: " + known.getMessage());
    } else {
      LOG.error("Job failed", t);
      System.err.println("logq: job failed: " + t);
    }
    return code.code();
  }

  /**
   * spark.master from the config wins, then what spark-submit set, then -Dlogq.defaultMaster (set
   * by the local launcher), then local[*].
   */
  static SparkSession session(JobConfig config) {
    SparkConf conf = new SparkConf();
    String master = SparkSettings.of(config).master();
    if (master.isEmpty() && !conf.contains("spark.master")) {
      master = System.getProperty("logq.defaultMaster", "local[*]");
    }
    SparkSession.Builder builder = SparkSession.builder().appName(SparkSettings.of(config).appName());
    if (!master.isEmpty()) {
      builder.master(master);
    }
    String effectiveMaster = master.isEmpty() ? conf.get("spark.master", "") : master;
    if (!conf.contains("spark.ui.showConsoleProgress")) {
      builder.config("spark.ui.showConsoleProgress", "false");
    }
    SparkSession spark = builder.getOrCreate();
    if (effectiveMaster.startsWith("local") && !conf.contains("spark.sql.shuffle.partitions")) {
      // Spark's 200 shuffle partitions of a few rows each make a laptop run crawl (clusters set their own). One
      // per local thread: a tiny run's ~50 Spark actions each schedule that many tasks, and 8 on local[2] cost
      // it 20 % more than 2 (docs/decisions.md, "Local shuffle partitions"). The model's bits do not depend on it.
      spark.conf().set("spark.sql.shuffle.partitions", String.valueOf(spark.sparkContext().defaultParallelism()));
    }
    LOG.info("Spark {} on {} (application {})", spark.version(), spark.sparkContext().master(),
        spark.sparkContext().applicationId());
    return spark;
  }
}
