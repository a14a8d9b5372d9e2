package dev.logq.job.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The progress line's text, and how it is printed on a terminal (in place) and elsewhere (a line per epoch). */
class ProgressLineTest {

  private static EpochUpdate update(int epoch, int round, boolean done, Map<String, Double> metrics) {
    return new EpochUpdate(epoch, 5, round, 88, 5.812345, 41_234, 65.4, metrics, done);
  }

  @Test
  void textShowsEpochRoundsLossRateMetricsAndEta() {
    assertEquals("epoch 2/5 [==========          ] 44/88 rounds  loss 5.8123  41.2k ex/s  ETA 1 min 05 s",
        ProgressLine.text(update(2, 44, false, Map.of()), true));
    assertEquals("epoch 2/5 44/88 rounds  loss 5.8123  41.2k ex/s  ETA 1 min 05 s",
        ProgressLine.text(update(2, 44, false, Map.of()), false));
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("val recall@10", 0.12345);
    metrics.put("val ndcg@10", Double.NaN);
    assertEquals("epoch 3/5 88/88 rounds  loss 5.8123  41.2k ex/s  val recall@10 0.1235  val ndcg@10 -  ETA 1 min 05 s",
        ProgressLine.text(update(3, 88, true, metrics), false));
    // The last epoch's final line has no ETA; a loss before any example is "-".
    assertEquals("epoch 5/5 88/88 rounds  loss 5.8123  41.2k ex/s", ProgressLine.text(update(5, 88, true, Map.of()), false));
    assertEquals("epoch  3/12 [                    ] 0/7 rounds  loss -  0 ex/s  ETA -",
        ProgressLine.text(new EpochUpdate(3, 12, 0, 7, Double.NaN, 0, Double.NaN, null, false), true));
    assertEquals("7 s", ProgressLine.duration(7.2));
    assertEquals("1 h 02 min", ProgressLine.duration(3725));
    assertEquals("950", ProgressLine.rate(950));
    assertEquals("1.35M", ProgressLine.rate(1_349_000));
  }

  @Test
  void onATerminalTheEpochsLineIsRewrittenInPlaceAndEndsWithANewline() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressLine line = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    line.show(update(1, 10, false, Map.of()));
    assertTrue(line.isOpen());
    line.show(update(1, 50, false, Map.of()));
    line.show(update(1, 88, true, Map.of("val recall@10", 0.2)));
    assertFalse(line.isOpen());
    String out = bytes.toString(StandardCharsets.UTF_8);
    String e = ProgressLine.ERASE_TO_EOL;
    assertEquals("\r" + ProgressLine.text(update(1, 10, false, Map.of()), true) + e
        + "\r" + ProgressLine.text(update(1, 50, false, Map.of()), true) + e
        + "\r" + ProgressLine.text(update(1, 88, true, Map.of("val recall@10", 0.2)), true) + e + "\n", out);
    assertEquals(1, out.chars().filter(c -> c == '\n').count(), "one line per epoch");
  }

  @Test
  void elsewhereOnlyTheEpochsFinalLineIsPrintedWithoutControlCharacters() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressLine line = new ProgressLine(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
    line.show(update(1, 10, false, Map.of()));
    line.show(update(1, 88, true, Map.of()));
    line.show(update(2, 30, false, Map.of()));
    line.show(update(2, 88, true, Map.of()));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(ProgressLine.text(update(1, 88, true, Map.of()), false) + System.lineSeparator()
        + ProgressLine.text(update(2, 88, true, Map.of()), false) + System.lineSeparator(), out);
    assertFalse(out.contains("\r") || out.contains("\u001b"), out);
  }

  @Test
  void consoleEndsAnOpenProgressLineBeforeOtherLinesAndThrottlesRedraws() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    JobConsole.install(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
    try {
      JobConsole.epoch(update(1, 10, false, Map.of()));
      JobConsole.epoch(update(1, 11, false, Map.of())); // within 250 ms of the last redraw: skipped
      JobConsole.stage("train", "refined: 1 epoch", 1.25);
      JobConsole.epoch(update(1, 88, true, Map.of())); // an epoch's final line is never skipped
    } finally {
      JobConsole.uninstall();
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    String nl = System.lineSeparator();
    assertEquals("\r" + ProgressLine.text(update(1, 10, false, Map.of()), true) + ProgressLine.ERASE_TO_EOL + nl
        + "train        1.3 s  refined: 1 epoch" + nl
        + "\r" + ProgressLine.text(update(1, 88, true, Map.of()), true) + ProgressLine.ERASE_TO_EOL + "\n", out);
    // Without a console the calls do nothing.
    JobConsole.stage("read", "nothing");
    assertFalse(JobConsole.active());
  }
}
