package dev.logq.job.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logq.common.model.TensorStore;
import dev.logq.job.output.HadoopFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints on any Hadoop filesystem. Layout: {@code <dir>/round-<000000000123>/} holding
 * {@code params.bin}, {@code optimizer.bin} and {@code trainer.json}; the empty {@code _COMPLETE} file
 * is written last, so a checkpoint without it (the job was killed while writing) is ignored on resume. The
 * collective backend's workers write the model shard by shard instead ({@link ShardedCheckpoints}); {@link #read}
 * reads both forms.
 */
public final class Checkpoints {

  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final String PREFIX = "round-";
  private static final String COMPLETE = "_COMPLETE";
  /** Marks the best epoch's checkpoint (early stopping): pruning keeps it until the run's end. */
  private static final String BEST = "_BEST";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Checkpoints() {}

  /** What a checkpoint holds. */
  public record Loaded(String path, TensorStore params, TensorStore optimizerState, TrainerState trainer) {}

  /** Writes a checkpoint for the given completed round and returns its path. */
  public static String write(String dir, TensorStore params, TensorStore optimizerState, TrainerState trainer,
                             Configuration conf) {
    String path = writeModel(dir, trainer.globalRound(), params, optimizerState, conf);
    complete(path, trainer, conf);
    return path;
  }

  /** The directory of the checkpoint after {@code globalRound} rounds. */
  public static String pathFor(String dir, long globalRound) {
    return new Path(dir, String.format("%s%012d", PREFIX, globalRound)).toString();
  }

  /**
   * First half of a checkpoint: the parameters and optimizer state, written by the driver, which holds them
   * (the collective backend's workers write shards instead, {@link ShardedCheckpoints}). Not visible to resume
   * until {@link #complete}.
   */
  static String writeModel(String dir, long globalRound, TensorStore params, TensorStore optimizerState,
                           Configuration conf) {
    Path target = new Path(pathFor(dir, globalRound));
    try {
      FileSystem fs = HadoopFiles.fileSystem(target, conf);
      if (fs.exists(target)) {
        fs.delete(target, true);
      }
      fs.mkdirs(target);
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fs.create(new Path(target, "params.bin")), 1 << 20))) {
        params.writeTo(out);
      }
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(fs.create(new Path(target, "optimizer.bin")), 1 << 20))) {
        optimizerState.writeTo(out);
      }
      return target.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write checkpoint " + target + ": " + e.getMessage(), e);
    }
  }

  /** Removes whatever an earlier, failed attempt left at {@code path} (not a complete checkpoint). */
  static void discard(String path, Configuration conf) {
    Path target = new Path(path);
    try {
      FileSystem fs = HadoopFiles.fileSystem(target, conf);
      if (fs.exists(target)) {
        fs.delete(target, true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not remove " + target + ": " + e.getMessage(), e);
    }
  }

  /** Second half: the driver's position, then the _COMPLETE marker, last. */
  static void complete(String path, TrainerState trainer, Configuration conf) {
    Path target = new Path(path);
    try {
      FileSystem fs = HadoopFiles.fileSystem(target, conf);
      try (OutputStream out = fs.create(new Path(target, "trainer.json"))) {
        JSON.writerWithDefaultPrettyPrinter().writeValue(out, trainer);
      }
      fs.create(new Path(target, COMPLETE)).close();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not complete checkpoint " + target + ": " + e.getMessage(), e);
    }
  }

  /** Reads a checkpoint; the optimizer state only when asked (executors with gradient averaging skip it). */
  public static Loaded read(String path, Configuration conf, boolean withOptimizerState) {
    Path dir = new Path(path);
    try {
      FileSystem fs = HadoopFiles.fileSystem(dir, conf);
      if (!fs.exists(new Path(dir, COMPLETE))) {
        throw new IllegalStateException("Checkpoint " + path + " is incomplete (no " + COMPLETE + ")");
      }
      TensorStore params;
      TensorStore state = null;
      if (ShardedCheckpoints.isSharded(fs, dir)) { // written by the collective backend's workers, shard by shard
        params = ShardedCheckpoints.assemble(fs, dir, false);
        state = withOptimizerState ? ShardedCheckpoints.assemble(fs, dir, true) : null;
      } else {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(new Path(dir, "params.bin")), 1 << 20))) {
          params = TensorStore.readFrom(in);
        }
      }
      if (withOptimizerState && state == null) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(new Path(dir, "optimizer.bin")), 1 << 20))) {
          state = TensorStore.readFrom(in);
        }
      }
      TrainerState trainer;
      try (InputStream in = fs.open(new Path(dir, "trainer.json"))) {
        trainer = JSON.readValue(in, TrainerState.class);
      }
      return new Loaded(path, params, state, trainer);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read checkpoint " + path + ": " + e.getMessage(), e);
    }
  }

  /** The newest complete checkpoint under dir, if any. */
  public static Optional<String> latestComplete(String dir, Configuration conf) {
    Path root = new Path(dir);
    try {
      FileSystem fs = HadoopFiles.fileSystem(root, conf);
      if (!fs.exists(root)) {
        return Optional.empty();
      }
      FileStatus[] children = fs.listStatus(root, p -> p.getName().startsWith(PREFIX));
      return Arrays.stream(children)
          .filter(FileStatus::isDirectory)
          .sorted(Comparator.comparing((FileStatus s) -> s.getPath().getName()).reversed())
          .filter(s -> {
            try {
              return fs.exists(new Path(s.getPath(), COMPLETE));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          })
          .map(s -> s.getPath().toString())
          .findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Marks the complete checkpoint {@code path} as the best epoch's and removes the previous best one (unless it is
   * the newest checkpoint, which resume needs).
   */
  public static void markBest(String dir, String path, Configuration conf) {
    Path target = new Path(path);
    try {
      FileSystem fs = HadoopFiles.fileSystem(target, conf);
      if (!fs.exists(new Path(target, COMPLETE))) {
        throw new IllegalStateException("Checkpoint " + path + " is incomplete (no " + COMPLETE + ")");
      }
      Optional<String> previous = best(dir, conf);
      fs.create(new Path(target, BEST), true).close();
      if (previous.isPresent() && !new Path(previous.get()).getName().equals(target.getName())) {
        fs.delete(new Path(previous.get()), true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not mark checkpoint " + path + " as the best: " + e.getMessage(), e);
    }
  }

  /** The checkpoint marked by {@link #markBest}, if any. */
  public static Optional<String> best(String dir, Configuration conf) {
    Path root = new Path(dir);
    try {
      FileSystem fs = HadoopFiles.fileSystem(root, conf);
      if (!fs.exists(root)) {
        return Optional.empty();
      }
      for (FileStatus s : fs.listStatus(root, p -> p.getName().startsWith(PREFIX))) {
        if (s.isDirectory() && fs.exists(new Path(s.getPath(), BEST))) {
          return Optional.of(s.getPath().toString());
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list checkpoints in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Deletes every checkpoint older than the one kept (they are superseded), except the best epoch's. */
  public static void pruneOlderThan(String dir, String keep, Configuration conf) {
    Path root = new Path(dir);
    String keepName = new Path(keep).getName();
    try {
      FileSystem fs = HadoopFiles.fileSystem(root, conf);
      for (FileStatus s : fs.listStatus(root, p -> p.getName().startsWith(PREFIX))) {
        if (s.getPath().getName().compareTo(keepName) < 0 && !fs.exists(new Path(s.getPath(), BEST))) {
          fs.delete(s.getPath(), true);
        }
      }
    } catch (IOException e) {
      LOG.warn("Could not prune old checkpoints in {}: {}", dir, e.getMessage());
    }
  }
}
