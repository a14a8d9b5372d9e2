package dev.logq.job.console;

import dev.logq.job.output.AtomicOutput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * The driver's logging during a run: the project's log4j2 configuration (conf/log4j2.properties, packaged as
 * {@value #RESOURCE}): WARN and above on the console, or INFO with --verbose; and everything at INFO, Spark's
 * and Hadoop's included, in the run's log file.
 *
 * <p>The log file starts on local disk ({@code java.io.tmpdir/logq-<time>-<pid>.log}), since the output's
 * staging directory does not exist before the input is read. When the output is staged ({@link #attach}) the
 * log so far is copied to {@code logs/job.log} in the staging directory; on a local file system the file
 * there then receives the rest of the log and moves with the outputs at the commit; on another file system
 * (HDFS, S3) the local file is copied there just before the commit ({@link #beforeCommit}). After a committed
 * run the local file is deleted; after a failure it stays, and its path is printed.
 *
 * <p>{@code -Dlog4j2.configurationFile} (or {@code -Dlog4j.configurationFile}) or {@code -Dlogq.logging=external}
 * keeps the JVM's own configuration instead of the packaged one; the log file is still added.
 */
public final class RunLog implements AutoCloseable {

  static final String RESOURCE = "/dev/logq/job/console/log4j2.properties";
  /** The log file's path inside the output. */
  public static final String OUTPUT_FILE = "logs/job.log";
  static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %p [%t] %c{1}: %m%n%ex";
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private static volatile RunLog current;

  private final LoggerContext context;
  private final Path localFile;
  private final Level previousRootLevel;
  private final FileAppender localAppender;
  private FileAppender stagedAppender;
  private boolean copiedToOutput;

  private RunLog(LoggerContext context, Path localFile, Level previousRootLevel) {
    this.context = context;
    this.localFile = localFile;
    this.previousRootLevel = previousRootLevel;
    this.localAppender = addFileAppender("logq-run-log", localFile);
  }

  /**
   * Applies the logging configuration and starts the log file.
   *
   * @param verbose Spark's INFO on the console too
   */
  public static synchronized RunLog start(boolean verbose) throws IOException {
    if (current != null) {
      current.close();
    }
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Level before = ctx.getConfiguration().getRootLogger().getLevel();
    System.setProperty("logq.consoleLevel", verbose ? "info" : "warn");
    boolean external = "external".equals(System.getProperty("logq.logging"))
        || System.getProperty("log4j2.configurationFile") != null || System.getProperty("log4j.configurationFile") != null;
    if (!external) {
      try (InputStream in = RunLog.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IOException("the logging configuration " + RESOURCE + " is missing from the classpath");
        }
        Configuration config = new PropertiesConfigurationFactory().getConfiguration(ctx, new ConfigurationSource(in));
        Configurator.reconfigure(config);
      }
    } else if (verbose) {
      ctx.reconfigure(); // a configuration that reads ${sys:logq.consoleLevel}, e.g. conf/log4j2.properties
    }
    // -Dlogq.runLogDir: where the local log files go (the tests put them under target/), else the temp directory.
    Path dir = Path.of(System.getProperty("logq.runLogDir", System.getProperty("java.io.tmpdir")));
    Files.createDirectories(dir);
    Path file = dir.resolve("logq-" + TIME.format(java.time.Instant.now()) + "-" + ProcessHandle.current().pid() + ".log");
    if (!external) {
      // The file wants INFO (our console appender filters by its own threshold); an external configuration's
      // levels are left as they are.
      ctx.getConfiguration().getRootLogger().setLevel(Level.INFO);
      ctx.updateLoggers();
    }
    RunLog log = new RunLog(ctx, file, before);
    current = log;
    return log;
  }

  /** The log file on the driver's local disk. */
  public Path localFile() {
    return localFile;
  }

  /** Called once the output's staging directory exists: the log goes there too (see the class comment). */
  public static void attach(AtomicOutput out) {
    RunLog log = current;
    if (log == null) {
      return;
    }
    try {
      FileSystem fs = out.fileSystem();
      if (fs instanceof LocalFileSystem local) {
        Path target = local.pathToFile(out.stagingPath(OUTPUT_FILE)).toPath();
        Files.createDirectories(target.getParent());
        synchronized (log) {
          Files.copy(log.localFile, target);
          log.stagedAppender = log.addFileAppender("logq-run-log-staged", target);
          log.copiedToOutput = true;
        }
      }
    } catch (IOException | RuntimeException e) {
      LogManager.getLogger(RunLog.class).warn("Could not put the log file into the output ({}); it stays in {}",
          e.toString(), log.localFile);
    }
  }

  /** Called just before the commit: on a non-local file system, copies the log file into the staging directory. */
  public static void beforeCommit(AtomicOutput out) {
    RunLog log = current;
    if (log == null || log.stagedAppender != null) {
      return;
    }
    try {
      out.fileSystem().copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(log.localFile.toUri()),
          out.stagingPath(OUTPUT_FILE));
      log.copiedToOutput = true;
    } catch (IOException | RuntimeException e) {
      LogManager.getLogger(RunLog.class).warn("Could not copy the log file into the output ({}); it stays in {}",
          e.toString(), log.localFile);
    }
  }

  /** Whether the log is (or will be, at the commit) in the output. */
  public boolean inOutput() {
    return copiedToOutput;
  }

  /** Stops the log file; deletes the local copy when {@code keepLocal} is false. */
  public synchronized void close(boolean keepLocal) {
    Configuration config = context.getConfiguration();
    LoggerConfig root = config.getRootLogger();
    for (FileAppender a : new FileAppender[] {localAppender, stagedAppender}) {
      if (a != null) {
        root.removeAppender(a.getName());
        config.getAppenders().remove(a.getName());
        a.stop();
      }
    }
    stagedAppender = null;
    if (previousRootLevel != null && previousRootLevel.isMoreSpecificThan(Level.INFO)) {
      root.setLevel(previousRootLevel); // e.g. the tests' WARN: no INFO message building after the run
    }
    context.updateLoggers();
    if (!keepLocal) {
      try {
        Files.deleteIfExists(localFile);
      } catch (IOException e) {
        // best effort: a file in the temp directory
      }
    }
    if (current == this) {
      current = null;
    }
  }

  @Override
  public void close() {
    close(true);
  }

  private FileAppender addFileAppender(String name, Path file) {
    Configuration config = context.getConfiguration();
    PatternLayout layout = PatternLayout.newBuilder().withPattern(PATTERN).withConfiguration(config).build();
    FileAppender appender = FileAppender.newBuilder()
        .setName(name)
        .withFileName(file.toString())
        .withAppend(true)
        .setImmediateFlush(true)
        .setLayout(layout)
        .setConfiguration(config)
        .build();
    appender.start();
    config.addAppender(appender);
    LoggerConfig root = config.getRootLogger();
    root.addAppender(appender, Level.INFO, null);
    for (LoggerConfig lc : config.getLoggers().values()) {
      if (lc != root && !lc.isAdditive()) {
        lc.addAppender(appender, Level.INFO, null); // loggers that do not pass their events on to the root
      }
    }
    context.updateLoggers();
    return appender;
  }

  /** The appenders of the root logger (tests). */
  static java.util.Map<String, Appender> rootAppenders() {
    return ((LoggerContext) LogManager.getContext(false)).getConfiguration().getRootLogger().getAppenders();
  }
}
