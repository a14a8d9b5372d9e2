package dev.logq.job.output;

import dev.logq.common.config.JobConfig;
import dev.logq.common.error.ConfigException;
import dev.logq.common.error.OutputExistsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What an earlier run left behind, for reruns: is the output complete (it has {@code _SUCCESS}), and
 * was it (or a set of checkpoints) written with the configuration of this run? Configurations are
 * compared on every key that shapes the result; the keys that only say where or how a run executes
 * ({@link #NOT_RESULT_KEYS}) are ignored.
 */
public final class CompletedOutput {

  /** Where a run's output records its effective configuration (JobConfig.toHocon()). */
  public static final String RECORDED_CONFIG = "model/config.conf";

  /** Keys that do not change what a run computes: a retry may differ in them. */
  public static final Set<String> NOT_RESULT_KEYS = Set.of("output.path", "output.overwrite",
      "output.skipIfComplete", "run.id", "spark.master", "spark.appName");

  /** At most this many differing keys are named in a message. */
  private static final int MAX_NAMED = 5;

  private CompletedOutput() {}

  /** True when {@code outputPath} holds the {@code _SUCCESS} marker of a committed run. */
  public static boolean isComplete(Configuration conf, String outputPath) throws IOException {
    Path p = new Path(outputPath);
    FileSystem fs = HadoopFiles.fileSystem(p, conf);
    return fs.exists(new Path(p, AtomicOutput.SUCCESS_MARKER));
  }

  /**
   * For {@code output.skipIfComplete}: true when {@code outputPath} is complete and recorded the same
   * configuration (the run has nothing to do); false when it is not complete (the usual rules apply).
   *
   * @throws OutputExistsException when it is complete but was written with another configuration, or
   *     its recorded configuration cannot be read: redoing or keeping it is the user's call
   */
  public static boolean sameRunComplete(Configuration conf, String outputPath, JobConfig current) throws IOException {
    if (!isComplete(conf, outputPath)) {
      return false;
    }
    Path recordedFile = new Path(outputPath, RECORDED_CONFIG);
    List<String> differences;
    try {
      differences = differences(readRecorded(conf, recordedFile), current);
    } catch (IOException | ConfigException e) {
      throw new OutputExistsException(outputPath, "output path " + outputPath + " holds a complete earlier run, but its"
          + " recorded configuration " + recordedFile + " cannot be compared with this run's (" + e.getMessage()
          + "); output.skipIfComplete cannot tell whether it is this run. Choose another output.path or set"
          + " output.overwrite=true (--overwrite) to replace it");
    }
    if (!differences.isEmpty()) {
      throw new OutputExistsException(outputPath, "output path " + outputPath + " holds a complete earlier run with"
          + " another configuration (" + describe(differences) + "), so output.skipIfComplete does not apply; choose"
          + " another output.path or set output.overwrite=true (--overwrite) to replace it");
    }
    return true;
  }

  /** The configuration a run recorded (a JobConfig.toHocon() file). */
  public static JobConfig readRecorded(Configuration conf, Path file) throws IOException {
    FileSystem fs = HadoopFiles.fileSystem(file, conf);
    String text;
    try (InputStream in = fs.open(file)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return JobConfig.parse(text, file.toString(), List.of());
  }

  /**
   * The result-shaping keys whose values differ, as {@code key: recorded -> current}, in key order;
   * empty when the two runs compute the same thing.
   */
  public static List<String> differences(JobConfig recorded, JobConfig current) {
    Map<String, Object> a = recorded.toMap();
    Map<String, Object> b = current.toMap();
    Set<String> keys = new TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    List<String> out = new ArrayList<>();
    for (String key : keys) {
      if (!NOT_RESULT_KEYS.contains(key) && !Objects.equals(String.valueOf(a.get(key)), String.valueOf(b.get(key)))) {
        out.add(key + ": " + a.get(key) + " -> " + b.get(key));
      }
    }
    return out;
  }

  /** The first few differences, for a one-line message. */
  public static String describe(List<String> differences) {
    String named = String.join("; ", differences.subList(0, Math.min(MAX_NAMED, differences.size())));
    return differences.size() > MAX_NAMED ? named + "; and " + (differences.size() - MAX_NAMED) + " more" : named;
  }
}
