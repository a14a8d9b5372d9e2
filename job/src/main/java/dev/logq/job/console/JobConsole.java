package dev.logq.job.console;

import java.io.PrintStream;
import java.util.Locale;

/**
 * What a run shows its user on stdout: one line per stage (read, split, index, train, evaluate, write) with its
 * time and counts, the epoch progress line ({@link ProgressLine}), the metrics table and the output path.
 * Spark's and Hadoop's logging is not here: it goes to the run's log file and, from WARN up, to stderr
 * ({@link RunLog}).
 *
 * <p>One console per driver JVM, installed by {@code Main} for the duration of a run; the job's code reports
 * through the static methods, which do nothing when no console is installed (unit tests that drive the
 * trainer or the pipeline directly, benchmarks).
 */
public final class JobConsole {

  /** On a terminal the in-place progress line is redrawn at most this often. */
  static final long REDRAW_NANOS = 250_000_000L;

  private static volatile JobConsole current;

  private final PrintStream out;
  private final ProgressLine progress;
  private final boolean terminal;
  private long lastMark = System.nanoTime();
  private String results;
  private long lastRedraw;

  JobConsole(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
    this.progress = new ProgressLine(out, terminal);
  }

  /** Installs a console on {@code out}; {@code terminal}: rewrite the progress line in place. */
  public static JobConsole install(PrintStream out, boolean terminal) {
    JobConsole c = new JobConsole(out, terminal);
    current = c;
    return c;
  }

  /** Installs a console on System.out, a terminal when the JVM has one (System.console() is not null). */
  public static JobConsole installOnStdout() {
    return install(System.out, System.console() != null);
  }

  public static void uninstall() {
    JobConsole c = current;
    if (c != null) {
      c.progress.breakLine();
      c.out.flush();
    }
    current = null;
  }

  public static boolean active() {
    return current != null;
  }

  /** Restarts the stage clock: the next {@link #stage(String, String)} counts from now. */
  public static void mark() {
    JobConsole c = current;
    if (c != null) {
      c.lastMark = System.nanoTime();
    }
  }

  /** A finished stage, timed from the previous stage (or {@link #mark()}); restarts the clock. */
  public static void stage(String name, String detail) {
    JobConsole c = current;
    if (c != null) {
      stage(name, detail, (System.nanoTime() - c.lastMark) / 1e9);
    }
  }

  /** A finished stage that took {@code seconds}; restarts the stage clock. */
  public static void stage(String name, String detail, double seconds) {
    MemoryWatch.stageEnded(name);
    JobConsole c = current;
    if (c != null) {
      c.print(stageLine(name, detail, seconds));
      c.lastMark = System.nanoTime();
    }
  }

  /** {@code train       9.6 s  refined: 5 epochs, 440 rounds}. */
  static String stageLine(String name, String detail, double seconds) {
    return String.format(Locale.ROOT, "%-9s %8s  %s", name, String.format(Locale.ROOT, "%.1f s", seconds), detail);
  }

  /** Training progress: redrawn in place on a terminal (at most every 250 ms), one line per epoch elsewhere. */
  public static void epoch(EpochUpdate u) {
    JobConsole c = current;
    if (c == null) {
      return;
    }
    synchronized (c) {
      long now = System.nanoTime();
      if (!u.done() && (!c.terminal || now - c.lastRedraw < REDRAW_NANOS)) {
        return;
      }
      c.lastRedraw = now;
      c.progress.show(u);
    }
  }

  /** The metrics table, shown by {@link #finish} after the write stage. */
  public static void results(String table) {
    JobConsole c = current;
    if (c != null) {
      c.results = table;
    }
  }

  /** The end of a committed run: the write stage, the metrics table and where the output is. */
  public static void finish(String outputPath, double totalSeconds) {
    JobConsole c = current;
    if (c == null) {
      return;
    }
    if (outputPath.startsWith("file:/")) {
      outputPath = java.net.URI.create(outputPath).getPath(); // a local path as the user would type it
      outputPath = outputPath.length() > 1 && outputPath.endsWith("/") ? outputPath.substring(0, outputPath.length() - 1)
          : outputPath;
    }
    stage("write", "committed");
    if (c.results != null) {
      c.print("");
      c.print(c.results.stripTrailing());
      c.print("");
    }
    c.print(String.format(Locale.ROOT, "output: %s (%s in all)", outputPath, ProgressLine.duration(totalSeconds)));
    c.print("log:    " + outputPath + "/" + RunLog.OUTPUT_FILE);
  }

  /** The read stage's detail: {@code 90,118 interactions (synthetic)}, with the bad records skipped. */
  public static String readDetail(java.util.Map<String, Long> counts, boolean synthetic) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%,d interactions", counts.getOrDefault("rows", 0L)));
    if (synthetic) {
      b.append(" (synthetic)");
    }
    long bad = counts.getOrDefault("bad_records", 0L);
    if (bad > 0) {
      b.append(String.format(Locale.ROOT, ", %,d bad records skipped", bad));
    }
    if (counts.containsKey("test_rows")) {
      b.append(String.format(Locale.ROOT, "; given test set %,d interactions", counts.get("test_rows")));
    }
    return b.toString();
  }

  /** The train stage's detail: {@code refined: 5 epochs, 440 rounds on 2 workers}. */
  public static String trainDetail(String loss, int epochs, long rounds, int workers, String backend) {
    return String.format(Locale.ROOT, "%s: %d epoch%s, %,d rounds on %d worker%s (%s)", loss, epochs,
        epochs == 1 ? "" : "s", rounds, workers, workers == 1 ? "" : "s", backend);
  }

  /** Any other line (the metrics table, the output path). */
  public static void line(String text) {
    JobConsole c = current;
    if (c != null) {
      c.print(text);
    }
  }

  private synchronized void print(String text) {
    progress.breakLine();
    out.println(text);
    out.flush();
  }
}
