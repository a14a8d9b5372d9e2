package dev.logq.job.console;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Renders and prints the training progress line. On a terminal the current epoch's line is rewritten in
 * place ({@code \r}, then erase to the end of the line) as rounds complete, and left on screen when the
 * epoch ends; elsewhere (a pipe, a file, Airflow's task log) only the epoch's final line is printed, as a
 * plain line, so logs get one line per epoch and no control characters.
 */
public final class ProgressLine {

  /** ANSI "erase to end of line": a shorter line must not leave the end of a longer one behind. */
  static final String ERASE_TO_EOL = "\u001b[K";
  static final int BAR_WIDTH = 20;

  private final PrintStream out;
  private final boolean terminal;
  private boolean open;

  public ProgressLine(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** Shows {@code u}: in place on a terminal; otherwise only when the epoch is done. */
  public void show(EpochUpdate u) {
    if (terminal) {
      out.print("\r" + text(u, true) + ERASE_TO_EOL + (u.done() ? "\n" : ""));
      open = !u.done();
      out.flush();
    } else if (u.done()) {
      out.println(text(u, false));
      out.flush();
    }
  }

  /** Ends a line being updated in place so that other output starts on a line of its own. */
  public void breakLine() {
    if (open) {
      out.println();
      open = false;
    }
  }

  /** Whether a line is being updated in place (a terminal, an epoch in progress). */
  public boolean isOpen() {
    return open;
  }

  /**
   * The line's text, e.g. {@code epoch 2/5 [==========          ] 44/88  loss 5.8123  41.2k ex/s  ETA 1 min 05 s};
   * with {@code bar} false (not a terminal) the bar is left out.
   */
  public static String text(EpochUpdate u, boolean bar) {
    int width = String.valueOf(u.epochs()).length();
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "epoch %" + width + "d/%d", u.epoch(), u.epochs()));
    if (bar) {
      int filled = u.rounds() <= 0 ? BAR_WIDTH : (int) Math.min(BAR_WIDTH, (long) BAR_WIDTH * u.round() / u.rounds());
      b.append(" [").append("=".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append(']');
    }
    int roundWidth = String.valueOf(u.rounds()).length();
    b.append(String.format(Locale.ROOT, " %" + roundWidth + "d/%d rounds", u.round(), u.rounds()));
    b.append("  loss ").append(Double.isFinite(u.meanLoss()) ? String.format(Locale.ROOT, "%.4f", u.meanLoss()) : "-");
    b.append("  ").append(rate(u.examplesPerSecond())).append(" ex/s");
    for (Map.Entry<String, Double> m : u.metrics().entrySet()) {
      Double v = m.getValue();
      b.append("  ").append(m.getKey()).append(' ')
          .append(v == null || !Double.isFinite(v) ? "-" : String.format(Locale.ROOT, "%.4f", v));
    }
    if (!(u.done() && u.epoch() == u.epochs())) {
      b.append("  ETA ").append(duration(u.etaSeconds()));
    }
    return b.toString();
  }

  /** 950, 41.2k, 1.35M. */
  static String rate(double perSecond) {
    if (!Double.isFinite(perSecond) || perSecond < 0) {
      return "-";
    }
    if (perSecond < 1e4) {
      return String.format(Locale.ROOT, "%.0f", perSecond);
    }
    if (perSecond < 1e6) {
      return String.format(Locale.ROOT, "%.1fk", perSecond / 1e3);
    }
    return String.format(Locale.ROOT, "%.2fM", perSecond / 1e6);
  }

  /** 7 s, 2 min 05 s, 1 h 02 min; "-" when unknown. */
  public static String duration(double seconds) {
    if (!Double.isFinite(seconds) || seconds < 0) {
      return "-";
    }
    long s = Math.round(seconds);
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }
}
