package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.job.output.CompletedOutput;
import dev.logq.job.output.OutputSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint directory of a run: beside the output (hidden, {@code _<name>.checkpoints}), so a killed
 * run can --resume; removed once the output is committed. Checkpoints belong to one configuration,
 * recorded beside them in {@value #CONFIG}.
 */
final class RunCheckpoints {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
  /** The configuration the checkpoints were written with, in the checkpoint directory. */
  static final String CONFIG = "_config.conf";

  private final JobConfig config;
  private final Configuration hadoopConf;
  private final Path root;

  RunCheckpoints(JobConfig config, Configuration hadoopConf) {
    this.config = config;
    this.hadoopConf = hadoopConf;
    this.root = rootOf(OutputSettings.of(config).path());
  }

  static Path rootOf(String outputPath) {
    Path out = new Path(outputPath);
    return new Path(out.getParent(), "_" + out.getName() + ".checkpoints");
  }

  /** The directory of one training: the root, or the root's {@code prefix} (compare mode: runs/loss/). */
  String dirFor(String prefix) {
    return (prefix.isEmpty() ? root : new Path(root, prefix)).toString();
  }

  /**
   * Without --resume an earlier attempt's checkpoints go (a fresh run must not leave them for a later
   * --resume to mix with its own); with --resume, checkpoints recorded under a different configuration are
   * discarded with a warning and training starts from the beginning: resuming them would continue a
   * different model. Then records this run's configuration.
   */
  void prepare(boolean resume) throws IOException {
    FileSystem fs = root.getFileSystem(hadoopConf);
    Path recorded = new Path(root, CONFIG);
    if (fs.exists(root)) {
      String discard = null;
      if (!resume) {
        discard = "they are an earlier attempt's and this run was started without --resume";
      } else if (fs.exists(recorded)) {
        List<String> differences;
        try {
          differences = CompletedOutput.differences(CompletedOutput.readRecorded(hadoopConf, recorded), config);
        } catch (IOException | RuntimeException e) {
          differences = List.of("unreadable recorded configuration: " + e.getMessage());
        }
        if (!differences.isEmpty()) {
          discard = "--resume was given but they were written with another configuration ("
              + CompletedOutput.describe(differences) + "); training starts from the beginning";
        }
      }
      if (discard != null) {
        LOG.warn("Deleting the checkpoints in {}: {}", root, discard);
        fs.delete(root, true);
      }
    }
    fs.mkdirs(root);
    try (OutputStream s = fs.create(recorded, true)) {
      s.write(config.toHocon().getBytes(StandardCharsets.UTF_8));
    }
  }

  /** After a failure: checkpoints are kept for --resume, but a directory holding none is only clutter. */
  void removeIfNoRounds() {
    try {
      FileSystem fs = root.getFileSystem(hadoopConf);
      if (!fs.exists(root)) {
        return;
      }
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
      while (files.hasNext()) {
        if (files.next().getPath().getParent().getName().startsWith("round-")) {
          LOG.info("Keeping the checkpoints in {} for --resume", root);
          return;
        }
      }
      fs.delete(root, true);
    } catch (IOException e) {
      LOG.warn("Could not inspect the checkpoints in {}: {}", root, e.getMessage());
    }
  }

  /** After the commit (or when a complete output makes the run a no-op). */
  void delete() {
    try {
      root.getFileSystem(hadoopConf).delete(root, true);
    } catch (IOException e) {
      LOG.warn("Could not delete checkpoints {}: {}", root, e.getMessage());
    }
  }
}
