package dev.logq.job.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Spark installation assembled from the Maven build, standing in for an unpacked Spark
 * distribution: {@code jars/} holds the jars Spark brings to a cluster, {@code conf/} is empty,
 * {@code bin/spark-submit} is a small script that calls Spark's launcher library as the real one does.
 *
 * <p>{@code jars/} = the job's compile+provided class path ({@code target/local-classpath.txt}) minus
 * what the assembly jar carries itself ({@code target/assembly-classpath.txt}, runtime scope): the
 * cluster supplies exactly the provided jars, so a class missing from the assembly fails here as it
 * would on a real cluster. Entries are symbolic links into the Maven repository.
 *
 * <p>What a standalone worker needs to launch executors from such a home (found in Spark 3.5's
 * launcher code, {@code AbstractCommandBuilder.buildClassPath}): {@code SPARK_HOME} set, a
 * {@code jars/} directory, and {@code SPARK_SCALA_VERSION}. The latter is read eagerly, before
 * {@code jars/} is looked at; a distribution's {@code bin/load-spark-env.sh} exports it, and without
 * it the launcher looks for a source build ({@code launcher/target/scala-2.12}) and fails with
 * "Cannot find any build directories". {@link #environment()} sets both, as Spark's scripts do.
 */
public final class SparkHome {

  public static final String SCALA_BINARY_VERSION = "2.12";

  private final Path home;

  private SparkHome(Path home) {
    this.home = home;
  }

  /**
   * @param localClassPath    the job's compile+provided class path file (path-separated entries)
   * @param assemblyClassPath the class path file of what the assembly jar contains
   */
  public static SparkHome create(Path home, Path localClassPath, Path assemblyClassPath) throws IOException {
    Path jars = home.resolve("jars");
    Files.createDirectories(jars);
    Files.createDirectories(home.resolve("conf"));
    Files.createDirectories(home.resolve("bin"));

    List<String> all = entries(localClassPath);
    Set<String> inAssembly = new HashSet<>();
    for (String e : entries(assemblyClassPath)) {
      inAssembly.add(e);
      inAssembly.add(Path.of(e).getFileName().toString());
    }
    Map<String, String> linked = new HashMap<>();
    for (String entry : all) {
      Path source = Path.of(entry);
      String name = source.getFileName().toString();
      if (inAssembly.contains(entry) || inAssembly.contains(name)) {
        continue;
      }
      if (!Files.isRegularFile(source) || !name.endsWith(".jar")) {
        throw new IllegalStateException("Spark class path entry " + entry + " (from " + localClassPath
            + ") is not a jar file; build with mvn package first");
      }
      String previous = linked.putIfAbsent(name, entry);
      if (previous != null) {
        throw new IllegalStateException("Two class path entries named " + name + ": " + previous + " and " + entry);
      }
      Files.createSymbolicLink(jars.resolve(name), source.toAbsolutePath());
    }
    if (!linked.keySet().stream().anyMatch(n -> n.startsWith("spark-core_" + SCALA_BINARY_VERSION))) {
      throw new IllegalStateException("No spark-core jar in " + localClassPath);
    }
    Files.writeString(home.resolve("RELEASE"), "Spark jars of the logq-spark Maven build (test stand-in for a"
        + " Spark distribution; bin/spark-submit calls the launcher library)\n");

    Path submit = home.resolve("bin/spark-submit");
    try (InputStream in = SparkHome.class.getResourceAsStream("/standalone/spark-submit")) {
      if (in == null) {
        throw new IllegalStateException("test resource /standalone/spark-submit is missing");
      }
      Files.copy(in, submit, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
    return new SparkHome(home);
  }

  private static List<String> entries(Path classPathFile) throws IOException {
    if (!Files.isRegularFile(classPathFile)) {
      throw new IllegalStateException(classPathFile + " is missing; it is written by mvn generate-resources");
    }
    return List.of(Files.readString(classPathFile).trim().split(java.io.File.pathSeparator));
  }

  public Path path() {
    return home;
  }

  /** The class path Spark's own scripts give its daemons and spark-submit: conf/ and jars/*. */
  public String classPath() {
    return home.resolve("conf") + java.io.File.pathSeparator + home.resolve("jars") + "/*";
  }

  /** What a distribution's bin/load-spark-env.sh puts in the environment of every Spark process. */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_SCALA_VERSION", SCALA_BINARY_VERSION);
    return env;
  }

  public int jarCount() throws IOException {
    try (var s = Files.list(home.resolve("jars"))) {
      return (int) s.count();
    }
  }
}
