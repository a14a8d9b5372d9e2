package dev.logq.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs {@link Main#run} as a user would (arguments as on the command line) and keeps the exit code and
 * the lines the job printed for the user ("logq: ..." on stderr). Shared by the end-to-end tests.
 */
public record JobRun(int exitCode, String userMessage) {

  /**
   * A tiny but complete configuration: trains in a few seconds on local[2]. Without the validation split (on by
   * default): it costs a tiny run several Spark jobs in the index step and a full-catalog evaluation per epoch,
   * and the tests of validation ask for it ({@link #WITH_VALIDATION}, ValidationRecommendTest, EarlyStoppingTest).
   */
  public static final List<String> TINY = List.of(
      "synthetic.users=120", "synthetic.items=80", "synthetic.interactionsPerUser=12",
      "model.embeddingDim=8", "model.outputDim=8",
      "train.epochs=1", "train.batchSize=128", "train.workers=2",
      "eval.k=[1,10]", "split.validation=none",
      "spark.master=local[2]");

  /** After TINY: the default validation split again (a later key=value wins). */
  public static final String WITH_VALIDATION = "split.validation=leave-last-out";

  /**
   * Main.run(args). The user message is what stderr holds from the job's own "logq: ..." line on
   * (a configuration error can span several lines); empty when the job printed none.
   */
  public static JobRun of(List<String> args) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
      System.setErr(tee);
      long t0 = System.nanoTime();
      code = Main.run(args.toArray(new String[0]));
      // In the test's output file: how long each run took, to keep the end-to-end tests fast.
      System.out.printf("Main.run took %.1f s, exit code %d%n", (System.nanoTime() - t0) / 1e9, code);
    } finally {
      System.setErr(original);
    }
    String err = captured.toString(StandardCharsets.UTF_8);
    int at = err.startsWith("logq: ") ? 0 : err.indexOf("\nlogq: ");
    String message = at < 0 ? "" : err.substring(at).strip();
    return new JobRun(code, message);
  }

  /** TINY, then {@code more}. */
  public static JobRun tiny(String... more) {
    List<String> args = new ArrayList<>(TINY);
    args.addAll(Arrays.asList(more));
    return of(args);
  }

  public static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }

  /** Names in {@code dir} (not recursive), sorted; empty when it does not exist. */
  public static List<String> children(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Copies writes to two streams (the console keeps its output while the test reads it). */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
