package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.console.RunLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees: Main.run's stdout holds the stages, one progress line per epoch (not a terminal here),
 * the metrics table and the output path, and no Spark logging; stderr holds no INFO; Spark's INFO lines are in
 * the run's log file in the output. --verbose puts Spark's INFO on the console.
 */
class ConsoleOutputTest {

  /** A log4j line at INFO, as the console and log file patterns write it. */
  private static final Pattern INFO_LINE = Pattern.compile("(?m)^[0-9:. -]+ INFO ");

  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestSession.start("ConsoleOutputTest");
  }

  @AfterAll
  static void stopSpark() {
    SparkTestSession.stop(spark);
  }

  private record Captured(int code, String out, String err) {}

  private static Captured run(List<String> args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      code = Main.run(args.toArray(new String[0]));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    Captured c = new Captured(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    System.out.println("--- stdout of Main.run\n" + c.out + "--- stderr\n" + c.err + "---");
    return c;
  }

  @Test
  void consoleShowsTheJobsLinesAndTheLogFileHoldsSparksInfo() throws Exception {
    Path output = tmp.resolve("run");
    List<String> args = new ArrayList<>(JobRun.TINY);
    args.add(JobRun.WITH_VALIDATION); // the progress line shows the validation metric
    args.add("train.epochs=2");
    args.add("output.path=" + output);
    Captured c = run(args);
    assertEquals(0, c.code(), c.err());

    List<String> lines = c.out().lines().toList();
    for (String stage : List.of("read", "split", "index", "train", "evaluate", "write")) {
      assertTrue(lines.stream().anyMatch(l -> l.matches(stage + " +[0-9.]+ s  .*")), "stage " + stage + ":\n" + c.out());
    }
    assertTrue(c.out().contains("interactions (synthetic)"), c.out());
    assertTrue(c.out().contains("refined: 2 epochs"), c.out());
    // Not a terminal: one plain progress line per epoch, no carriage returns.
    assertEquals(1, lines.stream().filter(l -> l.startsWith("epoch 1/2 ")).count(), c.out());
    assertEquals(1, lines.stream().filter(l -> l.startsWith("epoch 2/2 ")).count(), c.out());
    assertTrue(lines.stream().anyMatch(l -> l.matches("epoch 1/2 \\d+/\\d+ rounds  loss \\d+\\.\\d{4}  .* ex/s  val recall@10 \\d\\.\\d{4}  ETA .*")),
        c.out());
    assertFalse(c.out().contains("\r"), "carriage return outside a terminal");
    // The metrics table, one row per loss, and where the output is.
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("loss") && l.contains("Recall@10") && l.contains("nDCG@10")),
        c.out());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("refined ")), c.out());
    assertTrue(c.out().contains("output: " + output + " ("), c.out());
    // No logging on stdout, no INFO on stderr; the job's own lines are short.
    assertFalse(INFO_LINE.matcher(c.out()).find(), c.out());
    assertFalse(INFO_LINE.matcher(c.err()).find(), c.err());
    assertFalse(c.out().contains("DAGScheduler") || c.err().contains("DAGScheduler"));
    assertTrue(lines.size() < 30, lines.size() + " lines");

    // The log file moved with the outputs and holds Spark's INFO lines and the job's own.
    Path log = output.resolve(RunLog.OUTPUT_FILE);
    assertTrue(Files.isRegularFile(log), log.toString());
    String text = Files.readString(log);
    assertTrue(INFO_LINE.matcher(text).find(), "no INFO in the log file");
    assertTrue(text.contains(" INFO [") && text.contains("DAGScheduler: Job "), "no Spark INFO in the log file");
    assertTrue(text.contains("Pipeline: Split leave-last-out"), "no job INFO in the log file");
    assertTrue(text.contains("Committed output"), "the log file stops before the commit");
    // Nothing left beside the output.
    assertEquals(List.of("run"), JobRun.children(tmp));
  }

  @Test
  void verboseShowsSparksInfoOnTheConsole() throws Exception {
    Path data = tmp.resolve("data");
    Captured c = run(List.of("--verbose", "--mode", "generate", "synthetic.users=50", "synthetic.items=20",
        "input.path=" + data, "spark.master=local[2]"));
    assertEquals(0, c.code(), c.err());
    assertTrue(INFO_LINE.matcher(c.err()).find(), "no INFO on stderr with --verbose");
    assertTrue(c.out().lines().anyMatch(l -> l.startsWith("generate ")), c.out());
    // generate writes no run output: the log stays on local disk and the console says where.
    String logLine = c.out().lines().filter(l -> l.startsWith("log: ")).findFirst().orElseThrow();
    Path log = Path.of(logLine.substring("log: ".length()));
    assertTrue(Files.isRegularFile(log), log.toString());
    assertTrue(Files.readString(log).contains("DAGScheduler: Job "), "no Spark INFO in the log file");
    Files.delete(log);
  }
}
