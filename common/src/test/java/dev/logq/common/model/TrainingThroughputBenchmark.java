package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.Loss;
import dev.logq.common.loss.RefinedLogQ;
import dev.logq.common.optim.Adam;
import dev.logq.common.optim.Optimizer;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, per core: training examples per second of one single-threaded training step (both towers forward
 * and backward, the refined logQ loss, a lazy Adam step; no Spark) against the same model, loss and optimizer
 * in PyTorch on the CPU ({@code bench/torch_two_tower.py}), measured side by side in one run.
 *
 * <p>Both sides train on the same batches: this class writes them (and log Q) to a file the script reads.
 * Before timing, the script's {@code --check} mode replays three Adam steps of a small fixed case from this
 * model's initial tables and must reproduce our loss at every step to 1e-5 relative and our final tables.
 * Then Java and PyTorch runs alternate ({@value #REPEATS} rounds, the order flipped every round), each run a
 * fresh model with {@value #WARMUP} untimed and {@value #STEPS} timed steps; the table gives every round and
 * the medians. The JVM's JIT stays warm across rounds, PyTorch starts a fresh process per run. PyTorch runs
 * twice per round: sparse embeddings with SparseAdam (lazy, like ours) and dense embeddings with Adam.
 *
 * <p>Each rate is given per second of wall-clock time and per second of CPU time of the whole process (every
 * thread: for Java the GC and JIT threads too). Both sides compute on one thread, so on a quiet machine the
 * two agree; on a shared one the wall-clock rate includes time spent waiting for a core and the CPU-time
 * rate is the steadier estimate of examples per second per core.
 *
 * <p>Run: {@code mvn -B -o -Pbenchmarks -pl common test -Dtest=TrainingThroughputBenchmark}; the table is
 * written to {@code common/target/speed/java-vs-torch.md}. Python: {@code -Dlogq.python=...} or
 * {@code LOGQ_PYTHON}, else the first of python3, /usr/bin/python3 that imports torch; skipped when none does.
 */
@Tag("benchmark")
class TrainingThroughputBenchmark {

  static final int USERS = 20_000;
  static final int ITEMS = 10_000;
  static final int BATCH = 1024;
  static final int DIM = 64;
  static final double TAU = 0.05;
  static final double LEARNING_RATE = 0.005;
  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPSILON = 1e-8;
  static final double INIT_STD = 0.1;
  private static final int WARMUP = 20;
  private static final int STEPS = 60;
  private static final int REPEATS = 5;
  private static final int CHECK_STEPS = 3;

  private static final byte[] MAGIC = "LOGQBEN1".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern EXAMPLES_PER_SECOND = Pattern.compile("examples_per_second=([0-9.]+)");
  private static final Pattern EXAMPLES_PER_CPU_SECOND = Pattern.compile("examples_per_cpu_second=([0-9.]+)");

  @Test
  void javaVersusPyTorchPerCore() throws Exception {
    Path root = Path.of(System.getProperty("logq.projectRoot", ".."));
    Path script = root.resolve("bench/torch_two_tower.py");
    assertTrue(Files.isRegularFile(script), "missing " + script);
    String python = findPythonWithTorch();
    Assumptions.assumeTrue(python != null, "no python with torch (install python3-torch, or set -Dlogq.python)");
    Path dir = Files.createDirectories(Path.of("target", "speed"));

    // 1. Same model and loss: PyTorch must reproduce our losses and parameters on a small fixed case.
    Path checkFile = dir.resolve("check-case.bin");
    writeCheckCase(checkFile);
    List<String> checkReport = new ArrayList<>();
    for (String embedding : List.of("sparse", "dense")) {
      ProcessResult check = runPython(python, script, "--check", checkFile.toString(), "--embedding", embedding);
      System.out.println("--check (" + embedding + "):\n" + check.output);
      assertEquals(0, check.exitCode, "PyTorch does not reproduce the Java loss (" + embedding + "):\n"
          + check.output);
      checkReport.add(embedding + ": " + lastLineWith(check.output, "check_max_relative_loss_difference"));
    }

    // 2. Throughput, alternating.
    Path dataFile = dir.resolve("batches.bin");
    Workload work = Workload.create(USERS, ITEMS, BATCH, WARMUP + STEPS, 11L);
    writeCase(dataFile, work, null);
    String version = runPython(python, script, "--synthetic", "--steps", "1", "--warmup", "0").output;
    List<double[]> rows = new ArrayList<>();
    List<String> javaDetails = new ArrayList<>();
    for (int r = 0; r < REPEATS; r++) {
      double load = loadAverage();
      // Alternate the order so that neither side always runs right after the other.
      boolean javaFirst = r % 2 == 0;
      Rate java = null;
      if (javaFirst) {
        java = runJava(work, javaDetails);
      }
      Rate sparse = torch(python, script, dataFile, "sparse");
      Rate dense = torch(python, script, dataFile, "dense");
      if (!javaFirst) {
        java = runJava(work, javaDetails);
      }
      rows.add(new double[] {java.wall, java.cpu, sparse.wall, sparse.cpu, dense.wall, dense.cpu, load});
      System.out.printf(Locale.ROOT, "round %d (examples/s wall, per CPU-second): java %.0f %.0f, torch sparse %.0f %.0f,"
          + " torch dense %.0f %.0f%n", r + 1, java.wall, java.cpu, sparse.wall, sparse.cpu, dense.wall, dense.cpu);
    }

    String table = table(rows, javaDetails, checkReport, version);
    System.out.println(table);
    Files.writeString(dir.resolve("java-vs-torch.md"), table);
    for (double[] row : rows) {
      for (double v : row) {
        assertTrue(v > 0 && Double.isFinite(v));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The Java side

  /** Examples per second of wall-clock time, and per second of CPU time of the whole process (all threads). */
  private record Rate(double wall, double cpu) {}

  /** A fresh model and Adam state, WARMUP untimed steps, STEPS timed steps: the trainer's per-step work. */
  static Rate runJava(Workload work, List<String> details) {
    ModelSpec spec = spec(work.users, work.items);
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    for (String name : params.tableNames()) {
      params.table(name).materializeAll();
    }
    Optimizer adam = new Adam(LEARNING_RATE, BETA1, BETA2, EPSILON);
    TensorStore state = adam.newState(params);
    Loss loss = new RefinedLogQ();
    long step = 0;
    for (int i = 0; i < WARMUP; i++) {
      javaStep(model, params, adam, state, loss, work.batch(i), work.logQ, ++step);
    }
    long gcBefore = gcMillis();
    long cpuStart = processCpuNanos();
    long start = System.nanoTime();
    double last = 0;
    for (int i = 0; i < STEPS; i++) {
      last = javaStep(model, params, adam, state, loss, work.batch(WARMUP + i), work.logQ, ++step);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
    long gc = gcMillis() - gcBefore;
    details.add(String.format(Locale.ROOT, "%.2f ms/step wall, %.2f CPU-ms/step, GC %d ms, last loss %.6f",
        1000 * seconds / STEPS, 1000 * cpuSeconds / STEPS, gc, last));
    double examples = STEPS * (double) BATCH;
    return new Rate(examples / seconds, examples / cpuSeconds);
  }

  /** CPU time of this JVM, every thread (the GC's and the JIT compiler's included). */
  private static long processCpuNanos() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    throw new IllegalStateException("this JVM does not report its process CPU time");
  }

  static double javaStep(TwoTowerModel model, TensorStore params, Optimizer optimizer, TensorStore state, Loss loss,
                         Batch batch, double[] logQ, long step) {
    TensorPatch grad = new TensorPatch();
    double value = model.lossAndGradient(params, batch, loss, logQ, 0, null, grad);
    optimizer.step(params, state, grad, step);
    return value;
  }

  static ModelSpec spec(int users, int items) {
    return ModelSpec.builder().numUsers(users).numItems(items).embeddingDim(DIM).outputDim(DIM).l2Normalize(true)
        .temperature(TAU).initStd(INIT_STD).seed(42).build();
  }

  private static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  // ---------------------------------------------------------------------------------------------
  // Data both sides read

  /** Batches of (user uniform, item Zipf(1)) pairs and the matching log Q. */
  static final class Workload {
    final int users;
    final int items;
    final int batchSize;
    final int[][] batchUsers;
    final int[][] batchItems;
    final double[] logQ;

    private Workload(int users, int items, int batchSize, int[][] batchUsers, int[][] batchItems, double[] logQ) {
      this.users = users;
      this.items = items;
      this.batchSize = batchSize;
      this.batchUsers = batchUsers;
      this.batchItems = batchItems;
      this.logQ = logQ;
    }

    static Workload create(int users, int items, int batchSize, int batches, long seed) {
      double[] cumulative = new double[items];
      double total = 0;
      for (int i = 0; i < items; i++) {
        total += 1.0 / (i + 1);
        cumulative[i] = total;
      }
      double[] logQ = new double[items];
      for (int i = 0; i < items; i++) {
        logQ[i] = Math.log(1.0 / (i + 1) / total);
      }
      SplittableRandom rng = new SplittableRandom(seed);
      int[][] u = new int[batches][batchSize];
      int[][] it = new int[batches][batchSize];
      for (int b = 0; b < batches; b++) {
        for (int r = 0; r < batchSize; r++) {
          u[b][r] = rng.nextInt(users);
          int pos = Arrays.binarySearch(cumulative, rng.nextDouble() * total);
          it[b][r] = Math.min(items - 1, pos >= 0 ? pos : -pos - 1);
        }
      }
      return new Workload(users, items, batchSize, u, it, logQ);
    }

    int batches() {
      return batchUsers.length;
    }

    Batch batch(int i) {
      int b = i % batches();
      return Batch.ofUsers(batchSize, batchUsers[b], batchItems[b]);
    }
  }

  /** The small fixed case of the --check mode: initial tables, Java's losses and tables after the steps. */
  private static void writeCheckCase(Path file) throws IOException {
    int users = 50;
    int items = 40;
    Workload work = Workload.create(users, items, 64, 1, 5L);
    ModelSpec spec = spec(users, items);
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    float[][] initial = {tableValues(params, TwoTowerModel.USER_EMBEDDING),
        tableValues(params, TwoTowerModel.ITEM_EMBEDDING)};
    Optimizer adam = new Adam(LEARNING_RATE, BETA1, BETA2, EPSILON);
    TensorStore state = adam.newState(params);
    double[] losses = new double[CHECK_STEPS];
    for (int s = 0; s < CHECK_STEPS; s++) {
      losses[s] = javaStep(model, params, adam, state, new RefinedLogQ(), work.batch(s), work.logQ, s + 1);
    }
    float[][] expected = {tableValues(params, TwoTowerModel.USER_EMBEDDING),
        tableValues(params, TwoTowerModel.ITEM_EMBEDDING)};
    writeCase(file, work, new CheckValues(initial, losses, expected));
  }

  private record CheckValues(float[][] initialTables, double[] losses, float[][] expectedTables) {}

  private static float[] tableValues(TensorStore params, String name) {
    EmbeddingTable table = params.table(name);
    float[] out = new float[table.rows() * table.dim()];
    for (int r = 0; r < table.rows(); r++) {
      table.readRow(r, out, r * table.dim());
    }
    return out;
  }

  /** Big-endian; the layout torch_two_tower.py's Case reads. */
  private static void writeCase(Path file, Workload work, CheckValues check) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
      out.write(MAGIC);
      out.writeInt(work.users);
      out.writeInt(work.items);
      out.writeInt(DIM);
      out.writeInt(work.batchSize);
      out.writeInt(work.batches());
      out.writeInt(check == null ? 0 : check.losses.length);
      out.writeInt(check == null ? 0 : 1);
      for (double v : new double[] {TAU, LEARNING_RATE, BETA1, BETA2, EPSILON, INIT_STD}) {
        out.writeDouble(v);
      }
      for (double v : work.logQ) {
        out.writeDouble(v);
      }
      for (int[] batch : work.batchUsers) {
        for (int v : batch) {
          out.writeInt(v);
        }
      }
      for (int[] batch : work.batchItems) {
        for (int v : batch) {
          out.writeInt(v);
        }
      }
      if (check != null) {
        writeFloats(out, check.initialTables[0]);
        writeFloats(out, check.initialTables[1]);
        for (double v : check.losses) {
          out.writeDouble(v);
        }
        writeFloats(out, check.expectedTables[0]);
        writeFloats(out, check.expectedTables[1]);
      }
    }
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    for (float v : values) {
      out.writeFloat(v);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The PyTorch side

  private static Rate torch(String python, Path script, Path data, String embedding)
      throws IOException, InterruptedException {
    ProcessResult run = runPython(python, script, "--data", data.toString(), "--threads", "1",
        "--warmup", String.valueOf(WARMUP), "--steps", String.valueOf(STEPS), "--embedding", embedding);
    Matcher wall = EXAMPLES_PER_SECOND.matcher(run.output);
    Matcher cpu = EXAMPLES_PER_CPU_SECOND.matcher(run.output);
    if (run.exitCode != 0 || !wall.find() || !cpu.find()) {
      throw new IllegalStateException("PyTorch run failed (exit " + run.exitCode + "):\n" + run.output);
    }
    return new Rate(Double.parseDouble(wall.group(1)), Double.parseDouble(cpu.group(1)));
  }

  private record ProcessResult(int exitCode, String output) {}

  private static ProcessResult runPython(String python, Path script, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(python);
    command.add(script.toString());
    command.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + command);
    }
    return new ProcessResult(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** The configured interpreter, or the first of python3, /usr/bin/python3 that imports torch and numpy. */
  static String findPythonWithTorch() {
    List<String> candidates = new ArrayList<>();
    String configured = System.getProperty("logq.python", System.getenv("LOGQ_PYTHON"));
    if (configured != null && !configured.isBlank()) {
      candidates.add(configured);
    }
    candidates.add("python3");
    candidates.add("/usr/bin/python3");
    for (String candidate : candidates) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import torch, numpy").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // not installed under this name: try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  private static String lastLineWith(String output, String key) {
    String found = "";
    for (String line : output.split("\n")) {
      if (line.contains(key)) {
        found = line.trim();
      }
    }
    return found;
  }

  // ---------------------------------------------------------------------------------------------
  // Report

  private static String table(List<double[]> rows, List<String> javaDetails, List<String> checks, String torchInfo) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Java vs PyTorch, training examples/s on one core (%s)%n", LocalDate.now()));
    sb.append(String.format(Locale.ROOT, "B = %d, d = %d, %d users, %d items, refined logQ, Adam, float32; "
        + "%d warm-up + %d timed steps per run%n", BATCH, DIM, USERS, ITEMS, WARMUP, STEPS));
    sb.append("PyTorch: ").append(lastLineWith(torchInfo, "torch=").replaceAll(" steps=.*", "")).append('\n');
    sb.append("check (PyTorch loss vs Java loss): ").append(String.join("; ", checks)).append("\n\n");
    sb.append("Examples per second of wall-clock time / per CPU-second of the process; load: the machine's 1-minute"
        + " load average when the round started (2 cores):\n\n");
    sb.append("| round | load | Java | PyTorch sparse | PyTorch dense | Java / PyTorch sparse |\n");
    sb.append("|---|---|---|---|---|---|\n");
    for (int r = 0; r < rows.size(); r++) {
      double[] x = rows.get(r);
      sb.append(String.format(Locale.ROOT, "| %d | %.1f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | %.2f / %.2f |%n",
          r + 1, x[6], x[0], x[1], x[2], x[3], x[4], x[5], x[0] / x[2], x[1] / x[3]));
    }
    double[] wallRatio = new double[rows.size()];
    double[] cpuRatio = new double[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      wallRatio[r] = rows.get(r)[0] / rows.get(r)[2];
      cpuRatio[r] = rows.get(r)[1] / rows.get(r)[3];
    }
    sb.append(String.format(Locale.ROOT,
        "| **median** | %.1f | **%.0f / %.0f** | **%.0f / %.0f** | **%.0f / %.0f** | **%.2f / %.2f** |%n",
        median(column(rows, 6)), median(column(rows, 0)), median(column(rows, 1)), median(column(rows, 2)), median(column(rows, 3)),
        median(column(rows, 4)), median(column(rows, 5)), median(wallRatio), median(cpuRatio)));
    sb.append("\nJava runs: ").append(String.join("; ", javaDetails)).append('\n');
    return sb.toString();
  }

  /** The 1-minute load average (Linux /proc/loadavg), NaN where unavailable. */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static double[] column(List<double[]> rows, int c) {
    return rows.stream().mapToDouble(x -> x[c]).toArray();
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
