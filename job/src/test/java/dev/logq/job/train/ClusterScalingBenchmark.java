package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.ModelSpec;
import dev.logq.job.testutil.ChildProcesses;
import dev.logq.job.testutil.SparkHome;
import dev.logq.job.testutil.StandaloneCluster;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 item 4, scaling: a Spark standalone cluster on this machine (a master and 8 workers of one core
 * each, separate JVMs on loopback, {@link StandaloneCluster}) trains with 1, 2, 4 and 8 workers at a small
 * per-step compute (B = 128 per worker, d = 32), with the collective and the rounds backend. This JVM is the
 * driver (client mode); each N is one application with N one-core executors ({@code spark.cores.max = N}).
 * The data grow with N (768 N users x 10 interactions) so that every run has the same 60 rounds per epoch.
 *
 * <p>Measured over {@code DistributedTrainer.train} (2 epochs, after a 3-epoch warm-up of each backend in the
 * same application): the driver's CPU time (the JVM's process CPU) and the bytes of its TCP sockets (ss), also net of
 * what the driver uses when idle with N executors attached (heartbeats; measured just before) and the Spark jobs
 * it ran; every executor's process CPU by thread (/proc: task thread, the collective's Netty threads, GC, JIT,
 * the rest) and its read/write system-call bytes (/proc/PID/io: sockets and files; the collective's peer
 * connections live one segment, too short for socket counters); and the backends' own per-round statistics
 * (round wall time, the slowest worker's gradient, every worker's thread CPU in the gradient and in the
 * synchronisation, its payload bytes).
 * With 2 cores, N = 4 and 8 oversubscribe the CPU: wall times then include waiting for a core, CPU times do not.
 *
 * <p>Run (needs {@code mvn -B -q -o -DskipTests package} first, for the assembly jar the executors load):
 * {@code mvn -B -o -Pbenchmarks -pl common,job -am test -Dtest=ClusterScalingBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}; the table goes to {@code job/target/speed/cluster-scaling.md}.
 */
@Tag("benchmark")
class ClusterScalingBenchmark {

  private static final int[] WORKERS = {1, 2, 4, 8};
  /** The collective backend with every changed row all-gathered (-Dlogq.collectivePull=false), beside the pull. */
  private static final String ALL_GATHER = "collective-allgather";
  private static final String[] BACKENDS = {DistributedTrainer.COLLECTIVE, ALL_GATHER, DistributedTrainer.ROUNDS};
  private static final int BATCH = 128;
  private static final int ROUNDS_PER_EPOCH = 60;
  private static final int PER_USER = 10;
  private static final int EPOCHS = 2;
  private static final int WARMUP_EPOCHS = 3;
  private static final Duration IDLE = Duration.ofSeconds(5);

  /** Per round unless named otherwise; executor figures are means over the N executors. */
  private record Row(int workers, String backend, long rounds, long jobs, double examplesPerSecond,
                     DistributedTrainer.SyncStats s, double driverCpuMs, double driverCpuNetMs, double driverKiB,
                     double driverNetKiB, double executorCpuMs, Map<String, Double> executorCpuByCategory,
                     double executorIoKiB, double load) {}

  /**
   * The order in which the backends' measured epochs run ({@code -Dlogq.bench.order=collective-allgather,collective,
   * rounds}, default {@link #BACKENDS}): the JIT still compiles during the first measured run after the warm-ups,
   * so swapping the order shows how much of a difference between two backends is that.
   */
  private static List<String> measuredOrder() {
    String order = System.getProperty("logq.bench.order", "");
    List<String> backends = order.isBlank() ? List.of(BACKENDS) : List.of(order.split(","));
    assertTrue(List.of(BACKENDS).containsAll(backends), "logq.bench.order names unknown backends: " + order);
    return backends;
  }

  @Test
  void oneToEightWorkers() throws Exception {
    Path projectRoot = Path.of(System.getProperty("logq.projectRoot", "..")).toAbsolutePath().normalize();
    Path target = Path.of("target").toAbsolutePath();
    Path assembly = target.resolve("logq-job-assembly.jar");
    assertTrue(Files.isRegularFile(assembly), assembly + " is missing: run mvn -DskipTests package first");
    List<String> javaFlags = Files.readAllLines(projectRoot.resolve("conf/java17.args")).stream().map(String::trim)
        .filter(l -> !l.isEmpty()).toList();
    Path root = target.resolve("cluster-scaling");
    deleteRecursively(root);
    Files.createDirectories(root);
    SparkHome home = SparkHome.create(root.resolve("spark-home"), target.resolve("local-classpath.txt"),
        target.resolve("assembly-classpath.txt"));
    List<Row> rows = new ArrayList<>();
    try (StandaloneCluster cluster = StandaloneCluster.start(home, root, javaFlags, 8, 1, "1g",
        Duration.ofMinutes(3))) {
      cluster.awaitWorkers(8, Duration.ofMinutes(3));
      for (int n : WORKERS) {
        rows.addAll(runApplication(cluster, n, assembly, javaFlags, root));
        System.out.println(table(rows));
      }
    } finally {
      ChildProcesses.killAll();
    }
    String table = table(rows);
    System.out.println(table);
    Path dir = Files.createDirectories(target.resolve("speed"));
    Files.writeString(dir.resolve("cluster-scaling.md"), table);
    for (Row r : rows) {
      // ceil(largest shard / B): shards differ by a few examples, so an epoch may take a round more
      assertTrue(r.rounds >= EPOCHS * ROUNDS_PER_EPOCH && r.rounds <= EPOCHS * (ROUNDS_PER_EPOCH + 2),
          "rounds of " + r);
      assertTrue(r.examplesPerSecond > 0, "examples/s of " + r);
    }
  }

  /** One application with n executors: idle baseline, warm-up, then each backend's measured training. */
  private static List<Row> runApplication(StandaloneCluster cluster, int n, Path assembly, List<String> javaFlags,
                                          Path root) throws Exception {
    PlantedClusters data = new PlantedClusters(n * BATCH * ROUNDS_PER_EPOCH / PER_USER, 2_000, 20, PER_USER, 3);
    SparkSession spark = SparkSession.builder()
        .master(cluster.masterUrl())
        .appName("ClusterScalingBenchmark-" + n)
        .config("spark.cores.max", String.valueOf(n))
        .config("spark.executor.cores", "1")
        .config("spark.executor.memory", "512m")
        .config("spark.executor.extraJavaOptions", String.join(" ", javaFlags) + " -XX:+UseParallelGC")
        .config("spark.jars", assembly.toUri().toString())
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", String.valueOf(n))
        .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "180s")
        .config("spark.local.dir", root.resolve("driver-local").toString())
        .getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      awaitExecutors(sc, n);
      AtomicLong jobs = new AtomicLong();
      sc.sc().addSparkListener(new SparkListener() {
        @Override
        public void onJobEnd(SparkListenerJobEnd jobEnd) {
          jobs.incrementAndGet();
        }
      });
      String appId = sc.sc().applicationId();
      List<Long> executors = executorPids(appId);
      assertEquals(n, executors.size(), "executor JVMs of " + appId);
      // -Dlogq.bench.placement=user: the id tower's default since session 22 (the tables in docs/benchmarks.md
      // before it were measured by example, this benchmark's default).
      JavaRDD<TrainingShard> shards = "user".equals(System.getProperty("logq.bench.placement", "example"))
          ? ShardBuilder.build(data.trainSet(spark), n, new dev.logq.common.model.tower.IdTower(), 17L,
              dev.logq.common.config.ShardPlacement.USER, data.users)
          : ShardBuilder.build(data.trainSet(spark), n, 0, 17L);
      try {
        ShardBuilder.sizes(shards); // materialise the cached shards before any clock starts
        // warm-up of the executors' and the driver's JIT (fresh JVMs per application): with one epoch of each
        // backend, JIT compilation still took 3-18 CPU-ms per executor and round of the measured epochs
        for (String backend : BACKENDS) {
          train(sc, shards, data, n, backend, WARMUP_EPOCHS, root.resolve("warmup-" + backend + "-" + n));
        }
        var s0 = ProcessCounters.tcpSockets();
        ProcessCounters.Snapshot idle0 = ProcessCounters.self(s0);
        Thread.sleep(IDLE.toMillis());
        ProcessCounters.Snapshot idle1 = ProcessCounters.self(ProcessCounters.tcpSockets());
        double idleSeconds = IDLE.toMillis() / 1000.0;
        double idleCpuPerSecond = idle1.cpuSince(idle0) / 1e6 / idleSeconds;
        double idleBytesPerSecond = idle1.tcpBytesSince(idle0) / idleSeconds;
        List<Row> rows = new ArrayList<>();
        for (String backend : measuredOrder()) {
          double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
          var before = ProcessCounters.tcpSockets();
          ProcessCounters.Snapshot driver0 = ProcessCounters.self(before);
          List<ProcessCounters.Snapshot> exec0 = new ArrayList<>();
          for (long pid : executors) {
            exec0.add(ProcessCounters.of(pid, before));
          }
          long jobs0 = jobs.get();
          long t0 = System.nanoTime();
          DistributedTrainer.Result result = train(sc, shards, data, n, backend, EPOCHS,
              root.resolve("checkpoints-" + backend + "-" + n));
          double seconds = (System.nanoTime() - t0) / 1e9;
          var after = ProcessCounters.tcpSockets();
          ProcessCounters.Snapshot driver1 = ProcessCounters.self(after);
          long jobsRun = jobs.get() - jobs0; // the listener bus may lag a little: counted again below
          DistributedTrainer.SyncStats s = result.sync();
          long rounds = s.rounds();
          double execCpu = 0;
          double execBytes = 0;
          Map<String, Double> byCategory = new TreeMap<>();
          for (int i = 0; i < executors.size(); i++) {
            ProcessCounters.Snapshot e1 = ProcessCounters.of(executors.get(i), after);
            execCpu += e1.cpuSince(exec0.get(i)) / 1e6 / n / rounds;
            execBytes += e1.ioBytesSince(exec0.get(i)) / (double) n;
            for (var c : e1.cpuByCategorySince(exec0.get(i)).entrySet()) {
              byCategory.merge(c.getKey(), c.getValue() / 1e6 / n / rounds, Double::sum);
            }
          }
          double driverCpu = driver1.cpuSince(driver0) / 1e6;
          double driverBytes = driver1.tcpBytesSince(driver0);
          TrainerState.EpochStats last = result.state().curve().get(EPOCHS - 1);
          Thread.sleep(500);
          jobsRun = Math.max(jobsRun, jobs.get() - jobs0);
          rows.add(new Row(n, backend, rounds, jobsRun, last.examplesPerSecond(), s, driverCpu / rounds,
              (driverCpu - idleCpuPerSecond * seconds) / rounds, driverBytes / rounds / 1024,
              (driverBytes - idleBytesPerSecond * seconds) / rounds / 1024, execCpu, byCategory,
              execBytes / rounds / 1024, load));
        }
        System.out.printf(Locale.ROOT, "N = %d: idle driver %.2f CPU-ms/s, %.1f KiB/s of TCP%n", n, idleCpuPerSecond,
            idleBytesPerSecond / 1024);
        return rows;
      } finally {
        shards.unpersist(true);
      }
    } finally {
      spark.stop();
    }
  }

  private static DistributedTrainer.Result train(JavaSparkContext sc, JavaRDD<TrainingShard> shards,
                                                 PlantedClusters data, int n, String backend, int epochs, Path dir) {
    ModelSpec spec = ModelSpec.builder().numUsers(data.users).numItems(data.items).embeddingDim(32).outputDim(32)
        .l2Normalize(true).temperature(0.05).initStd(0.1).seed(5).build();
    TrainingPlan plan = new TrainingPlan(spec, "refined", true, 0, BATCH, epochs, n, 1, 17L, "adam", 0.005, 0.9,
        0.999, 1e-8, 0);
    boolean allGather = backend.equals(ALL_GATHER);
    if (allGather) {
      System.setProperty("logq.collectivePull", "false"); // read on the driver, per segment
    }
    DistributedTrainer.Result result;
    try {
      result = new DistributedTrainer(sc, plan, dir.toUri().toString(), new Configuration())
          .withBackend(allGather ? DistributedTrainer.COLLECTIVE : backend).train(shards, data.itemLogQ(), false);
    } finally {
      System.clearProperty("logq.collectivePull");
    }
    assertEquals(data.train.size(), result.state().curve().get(epochs - 1).examples(), "examples per epoch");
    return result;
  }

  private static void awaitExecutors(JavaSparkContext sc, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (sc.sc().statusTracker().getExecutorInfos().length - 1 < n) { // the driver is listed too
      if (System.nanoTime() > deadline) {
        throw new AssertionError((sc.sc().statusTracker().getExecutorInfos().length - 1) + " of " + n
            + " executors registered");
      }
      Thread.sleep(200);
    }
  }

  /** The application's executor JVMs (children of the worker JVMs). */
  private static List<Long> executorPids(String appId) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")
            && c.contains(appId)).orElse(false))
        .map(ProcessHandle::pid).sorted().toList();
  }

  private static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Cluster scaling (%s), %d cores; standalone, 1 core per executor, B = %d"
            + " per worker, d = 32, %d rounds per epoch, %d epochs measured%n%n", Instant.now(),
        Runtime.getRuntime().availableProcessors(), BATCH, ROUNDS_PER_EPOCH, EPOCHS));
    sb.append("Driver and overhead, per round (ms, KiB):\n\n| N | backend | rounds / Spark jobs | ex/s (epoch 2) |"
        + " round ms | gradient ms (slowest, wall) | overhead ms | in-task exchange ms (collective) | driver CPU ms"
        + " (net of idle) | driver CPU ms per job | driver TCP KiB (net of idle) | load |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      DistributedTrainer.SyncStats s = r.s;
      double inTask = !r.backend.equals(DistributedTrainer.ROUNDS)
          ? s.meanWorkerTaskMillis() - s.meanWorkerComputeMillis() : Double.NaN;
      sb.append(String.format(Locale.ROOT, "| %d | %s | %d / %d | %.0f | %.2f | %.2f | %.2f | %s | %.2f (%.2f) | %.1f"
              + " | %.1f (%.1f) | %.1f |%n", r.workers, r.backend, r.rounds, r.jobs, r.examplesPerSecond,
          s.meanRoundMillis(), s.meanWorkerComputeMillis(), s.meanOverheadMillis(),
          Double.isNaN(inTask) ? "" : String.format(Locale.ROOT, "%.2f", inTask), r.driverCpuMs, r.driverCpuNetMs,
          r.driverCpuMs * r.rounds / Math.max(1, r.jobs), r.driverKiB, r.driverNetKiB, r.load));
    }
    sb.append("\nPer worker and round (CPU ms, KiB), means over the executors:\n\n| N | backend | gradient CPU"
        + " (task thread) | sync CPU (task thread) | executor process CPU | of which task / peer-io / exited / gc /"
        + " jit / other | payload KiB sent | executor read+write KiB |\n|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      DistributedTrainer.SyncStats s = r.s;
      Map<String, Double> c = r.executorCpuByCategory;
      sb.append(String.format(Locale.ROOT, "| %d | %s | %.2f | %.2f | %.2f | %.2f / %.2f / %.2f / %.2f / %.2f /"
              + " %.2f | %.1f | %.1f |%n", r.workers, r.backend, s.meanWorkerComputeCpuMillis(),
          s.meanWorkerSyncCpuMillis(), r.executorCpuMs, c.getOrDefault("task", 0.0), c.getOrDefault("peer-io", 0.0),
          c.getOrDefault("exited", 0.0), c.getOrDefault("gc", 0.0), c.getOrDefault("jit", 0.0),
          c.getOrDefault("other", 0.0), s.meanWorkerSentKilobytes(), r.executorIoKiB));
    }
    return sb.toString();
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
