package dev.logq.job.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on loopback: one master and N workers, each its own JVM started from a
 * {@link SparkHome} the way {@code sbin/start-master.sh} / {@code start-worker.sh} would (same main
 * classes, same environment), with ephemeral ports read back from the logs. Closing it kills the
 * master, the workers and their executors.
 */
public final class StandaloneCluster implements AutoCloseable {

  private static final Pattern MASTER_URL = Pattern.compile("Starting Spark master at (spark://\\S+)");
  private static final Pattern MASTER_UI_PORT = Pattern.compile("Successfully started service 'MasterUI' on port (\\d+)");

  private final SparkHome home;
  private final Path dir;
  private final List<String> jvmFlags;
  private final List<Process> processes = new ArrayList<>();
  private final List<Path> workerDirs = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();
  private String masterUrl;
  private int masterUiPort;

  private StandaloneCluster(SparkHome home, Path dir, List<String> jvmFlags) {
    this.home = home;
    this.dir = dir;
    this.jvmFlags = List.copyOf(jvmFlags);
  }

  /**
   * Starts the master, waits for its address, then starts the workers (without waiting for them to
   * register: see {@link #awaitWorkers}).
   *
   * @param jvmFlags flags every Spark JVM gets (the Java 17 --add-opens set)
   */
  public static StandaloneCluster start(SparkHome home, Path dir, List<String> jvmFlags, int workers,
                                        int coresPerWorker, String memoryPerWorker, Duration timeout)
      throws IOException, InterruptedException {
    StandaloneCluster cluster = new StandaloneCluster(home, dir, jvmFlags);
    try {
      cluster.startMaster(timeout);
      for (int i = 1; i <= workers; i++) {
        cluster.startWorker(i, coresPerWorker, memoryPerWorker);
      }
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** The environment of every process of the cluster, and of drivers that talk to it. */
  public Map<String, String> environment() {
    Map<String, String> env = home.environment();
    env.put("SPARK_LOCAL_IP", "127.0.0.1"); // bind and advertise loopback only
    return env;
  }

  private void startMaster(Duration timeout) throws IOException, InterruptedException {
    Path log = dir.resolve("master.log");
    List<String> flags = new ArrayList<>(jvmFlags);
    flags.add("-Xmx256m");
    flags.add("-Dspark.master.rest.enabled=false");
    ProcessBuilder pb = new ProcessBuilder(ChildProcesses.java(flags, home.classPath(),
        "org.apache.spark.deploy.master.Master",
        List.of("--host", "127.0.0.1", "--port", "0", "--webui-port", "0")));
    pb.environment().putAll(environment());
    pb.directory(dir.toFile());
    Process master = ChildProcesses.start(pb, log);
    processes.add(master);
    logs.add(log);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (masterUrl == null || masterUiPort == 0) {
      String text = ChildProcesses.read(log);
      Matcher url = MASTER_URL.matcher(text);
      Matcher ui = MASTER_UI_PORT.matcher(text);
      if (url.find()) {
        masterUrl = url.group(1);
      }
      if (ui.find()) {
        masterUiPort = Integer.parseInt(ui.group(1));
      }
      if (masterUrl != null && masterUiPort != 0) {
        break;
      }
      if (!master.isAlive()) {
        throw new AssertionError("Spark master exited with " + master.exitValue() + ":\n" + ChildProcesses.tail(log, 40));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Spark master did not start within " + timeout + ":\n" + ChildProcesses.tail(log, 40));
      }
      Thread.sleep(200);
    }
  }

  private void startWorker(int index, int cores, String memory) throws IOException {
    Path workDir = dir.resolve("worker-" + index);
    Path localDir = dir.resolve("worker-" + index + "-local");
    Files.createDirectories(workDir);
    Files.createDirectories(localDir);
    Path log = dir.resolve("worker-" + index + ".log");
    List<String> flags = new ArrayList<>(jvmFlags);
    flags.add("-Xmx256m");
    ProcessBuilder pb = new ProcessBuilder(ChildProcesses.java(flags, home.classPath(),
        "org.apache.spark.deploy.worker.Worker",
        List.of("--host", "127.0.0.1", "--port", "0", "--webui-port", "0", "--cores", String.valueOf(cores),
            "--memory", memory, "--work-dir", workDir.toString(), masterUrl)));
    pb.environment().putAll(environment());
    pb.environment().put("SPARK_LOCAL_DIRS", localDir.toString()); // executors' shuffle and spill files
    pb.directory(dir.toFile());
    processes.add(ChildProcesses.start(pb, log));
    workerDirs.add(workDir);
    logs.add(log);
  }

  /** Polls the master's JSON status page until {@code n} workers are ALIVE. */
  public void awaitWorkers(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int alive = -1;
    while (true) {
      for (int i = 0; i < processes.size(); i++) {
        if (!processes.get(i).isAlive()) {
          throw new AssertionError(logs.get(i).getFileName() + ": process exited with " + processes.get(i).exitValue()
              + ":\n" + ChildProcesses.tail(logs.get(i), 40));
        }
      }
      try {
        alive = status().path("aliveworkers").asInt(-1);
      } catch (IOException e) {
        alive = -1; // the UI may not answer yet
      }
      if (alive == n) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(alive + " of " + n + " workers registered within " + timeout + "; logs:\n" + logTails(30));
      }
      Thread.sleep(500);
    }
  }

  /** The master's /json status (workers, applications). */
  public JsonNode status() throws IOException {
    URL url = new URL("http://127.0.0.1:" + masterUiPort + "/json/");
    HttpURLConnection c = (HttpURLConnection) url.openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(5000);
    try (InputStream in = c.getInputStream()) {
      return new ObjectMapper().readTree(in);
    } finally {
      c.disconnect();
    }
  }

  public String masterUrl() {
    return masterUrl;
  }

  /** The workers' work directories: one subdirectory per application that ran an executor there. */
  public List<Path> workerDirs() {
    return List.copyOf(workerDirs);
  }

  /** The last lines of the master's and workers' logs and of every executor's stderr, for failure messages. */
  public String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    for (Path log : logs) {
      sb.append("---- ").append(log).append('\n').append(ChildProcesses.tail(log, lines)).append('\n');
    }
    for (Path w : workerDirs) {
      try (var files = Files.walk(w, 3)) {
        for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
          sb.append("---- ").append(f).append('\n').append(ChildProcesses.tail(f, lines)).append('\n');
        }
      } catch (IOException e) {
        sb.append("(cannot list ").append(w).append(": ").append(e).append(")\n");
      }
    }
    return sb.toString();
  }

  @Override
  public void close() {
    // Workers first (their shutdown hooks stop the executors), then the master.
    for (int i = processes.size() - 1; i >= 0; i--) {
      ChildProcesses.kill(processes.get(i));
    }
    processes.clear();
  }
}
