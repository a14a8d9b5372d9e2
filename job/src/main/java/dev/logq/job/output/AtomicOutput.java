package dev.logq.job.output;

import dev.logq.common.error.OutputExistsException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's output directory, written all-or-nothing on any Hadoop filesystem (file://, hdfs://,
 * ...).
 *
 * <p>Protocol:
 * <ol>
 *   <li>{@link #begin}: refuse an existing output path unless overwriting (exit code
 *       exit code 4, {@link OutputExistsException}); create the staging directory
 *       {@code <parent>/_<name>.tmp-<runId>}, a sibling of the output path. Its leading underscore
 *       hides it from Spark/Hive readers of the parent.</li>
 *   <li>Everything is written under the staging directory ({@link #create}, {@link #stagingUri} for
 *       Spark writers).</li>
 *   <li>{@link #commit}: rename the staging directory to the output path, then write
 *       {@code _SUCCESS} into it, last. When overwriting, the previous output is first renamed to
 *       {@code <parent>/_<name>.old-<runId>}, restored if the new one cannot be put in place, and
 *       deleted only after the new {@code _SUCCESS} exists: a failing overwrite keeps the previous
 *       good output.</li>
 *   <li>{@link #close} without a commit (an exception in the job) deletes the staging directory,
 *       best effort. A killed driver leaves only the hidden staging directory and no output path;
 *       a rerun with the same run id removes it.</li>
 * </ol>
 * On HDFS a directory rename is atomic, so readers see either no output or all of it; on object
 * stores (s3a) a rename is a copy, and the {@code _SUCCESS} marker, written after it, is what readers
 * must wait for. Concurrent runs into the same output path are not supported.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (AtomicOutput out = AtomicOutput.begin(hadoopConf, path, overwrite, runId)) {
 *   df.write().parquet(out.stagingUri("item_embeddings"));
 *   try (OutputStream s = out.create("model/params.bin")) { ... }
 *   out.commit();
 * }
 * }</pre>
 */
public final class AtomicOutput implements AutoCloseable {

  public static final String SUCCESS_MARKER = "_SUCCESS";

  private static final Logger LOG = LoggerFactory.getLogger(AtomicOutput.class);
  private static final DateTimeFormatter RUN_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private enum State { OPEN, COMMITTED, ABORTED }

  private final FileSystem fs;
  private final Path finalPath;
  private final Path stagingDir;
  private final Path backupPath;
  private final boolean overwrite;
  private final String runId;
  private State state = State.OPEN;

  private AtomicOutput(FileSystem fs, Path finalPath, boolean overwrite, String runId) {
    this.fs = fs;
    this.finalPath = finalPath;
    this.overwrite = overwrite;
    this.runId = runId;
    Path parent = finalPath.getParent();
    this.stagingDir = new Path(parent, "_" + finalPath.getName() + ".tmp-" + runId);
    this.backupPath = new Path(parent, "_" + finalPath.getName() + ".old-" + runId);
  }

  /**
   * Fails early, before any work, when the output path exists and {@code overwrite} is false.
   *
   * @throws OutputExistsException if the path exists and overwrite is off
   */
  public static void checkWritable(Configuration conf, String outputPath, boolean overwrite) throws IOException {
    Path p = new Path(outputPath);
    FileSystem fs = HadoopFiles.fileSystem(p, conf);
    Path q = fs.makeQualified(p);
    if (!overwrite && fs.exists(q)) {
      throw exists(q.toString(), fs.exists(new Path(q, SUCCESS_MARKER)));
    }
  }

  /**
   * Starts a run's output.
   *
   * @param outputPath the final output directory (placeholders already resolved, see {@link OutputPaths})
   * @param runId names the staging directory; empty: a fresh "yyyyMMdd-HHmmss-xxxxxxxx" (UTC)
   */
  public static AtomicOutput begin(Configuration conf, String outputPath, boolean overwrite, String runId)
      throws IOException {
    if (outputPath == null || outputPath.isBlank()) {
      throw new IllegalArgumentException("output.path is empty");
    }
    Path p = new Path(outputPath);
    FileSystem fs = HadoopFiles.fileSystem(p, conf);
    Path q = fs.makeQualified(p);
    if (q.getParent() == null) {
      throw new IllegalArgumentException("output.path " + q + " is a filesystem root; use a directory below it");
    }
    checkWritable(conf, q.toString(), overwrite);
    AtomicOutput out = new AtomicOutput(fs, q, overwrite, safeRunId(runId));
    if (fs.exists(out.stagingDir)) {
      LOG.warn("Removing the staging directory {} left by an earlier attempt of run {}", out.stagingDir, out.runId);
      fs.delete(out.stagingDir, true);
    }
    if (!fs.mkdirs(out.stagingDir)) {
      throw new IOException("could not create the staging directory " + out.stagingDir);
    }
    LOG.info("Writing output for {} under the staging directory {}", q, out.stagingDir);
    return out;
  }

  private static String safeRunId(String runId) {
    if (runId == null || runId.isBlank()) {
      byte[] b = new byte[4];
      new SecureRandom().nextBytes(b);
      StringBuilder hex = new StringBuilder();
      for (byte x : b) {
        hex.append(String.format("%02x", x));
      }
      return RUN_ID_TIME.format(Instant.now()) + "-" + hex;
    }
    return runId.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  public FileSystem fileSystem() {
    return fs;
  }

  /** The fully qualified output directory that {@link #commit} creates. */
  public Path finalPath() {
    return finalPath;
  }

  public Path stagingDir() {
    return stagingDir;
  }

  public String runId() {
    return runId;
  }

  public boolean isCommitted() {
    return state == State.COMMITTED;
  }

  /** Where a file or directory named {@code relative} (e.g. "model/params.bin") is staged. */
  public Path stagingPath(String relative) {
    requireOpen();
    if (relative == null || relative.isBlank() || relative.startsWith("/") || relative.contains("\\")) {
      throw new IllegalArgumentException("output file name must be a relative path like 'model/params.bin', got '" + relative + "'");
    }
    for (String part : relative.split("/")) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("output file name '" + relative + "' must not contain empty, '.' or '..' parts");
      }
    }
    if (relative.equals(SUCCESS_MARKER)) {
      throw new IllegalArgumentException(SUCCESS_MARKER + " is written by commit(), not by the job");
    }
    return new Path(stagingDir, relative);
  }

  /** {@link #stagingPath} as a URI string, for Spark's {@code DataFrameWriter}. */
  public String stagingUri(String relative) {
    return stagingPath(relative).toString();
  }

  /** A new file in the staging directory (parents created); fails if it exists. */
  public OutputStream create(String relative) throws IOException {
    return fs.create(stagingPath(relative), false);
  }

  public void writeString(String relative, String content) throws IOException {
    try (OutputStream s = create(relative)) {
      s.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Puts the staged output in place and writes {@code _SUCCESS}, last. */
  public void commit() throws IOException {
    requireOpen();
    boolean replacing = fs.exists(finalPath);
    if (replacing && !overwrite) {
      abort();
      throw exists(finalPath.toString(), fs.exists(new Path(finalPath, SUCCESS_MARKER)));
    }
    if (replacing) {
      if (fs.exists(backupPath)) {
        fs.delete(backupPath, true);
      }
      if (!fs.rename(finalPath, backupPath)) {
        abort();
        throw new IOException("could not move the previous output " + finalPath + " aside to " + backupPath
            + "; it is untouched and the new output was discarded");
      }
    }
    try {
      if (!fs.rename(stagingDir, finalPath)) {
        throw new IOException("could not rename the staging directory " + stagingDir + " to " + finalPath);
      }
      writeSuccessMarker();
    } catch (IOException | RuntimeException e) {
      rollBack(replacing, e);
      state = State.ABORTED;
      throw e;
    }
    state = State.COMMITTED;
    if (replacing) {
      try {
        if (!fs.delete(backupPath, true)) {
          LOG.warn("The previous output was replaced but its old copy {} could not be deleted", backupPath);
        }
      } catch (IOException e) {
        LOG.warn("The previous output was replaced but its old copy {} could not be deleted", backupPath, e);
      }
    }
    LOG.info("Committed output {}", finalPath);
  }

  private void writeSuccessMarker() throws IOException {
    String content = "runId=" + runId + "\ncommittedAt=" + Instant.now() + "\n";
    try (FSDataOutputStream s = fs.create(new Path(finalPath, SUCCESS_MARKER), false)) {
      s.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * After a failed commit. Before the rename nothing was at the output path (it never existed or the
   * previous output was moved aside), so whatever is there now is a partial or unmarked copy of this
   * run: it goes, and the previous output comes back.
   */
  private void rollBack(boolean replacing, Exception cause) {
    try {
      if (fs.exists(finalPath)) {
        fs.delete(finalPath, true);
      }
      if (fs.exists(stagingDir)) {
        fs.delete(stagingDir, true);
      }
      if (replacing && !fs.rename(backupPath, finalPath)) {
        LOG.error("Commit failed and the previous output could not be restored: it is at {}", backupPath);
      }
    } catch (IOException e) {
      cause.addSuppressed(e);
      LOG.error("Commit of {} failed and cleaning up failed too; the previous output (if any) may be at {}",
          finalPath, backupPath, e);
    }
  }

  /** Deletes the staging directory, best effort; does nothing after a commit. Idempotent. */
  public void abort() {
    if (state != State.OPEN) {
      return;
    }
    state = State.ABORTED;
    try {
      if (fs.exists(stagingDir) && !fs.delete(stagingDir, true)) {
        LOG.warn("Could not delete the staging directory {} of the failed run", stagingDir);
      }
    } catch (IOException e) {
      LOG.warn("Could not delete the staging directory {} of the failed run", stagingDir, e);
    }
    LOG.info("Aborted output {}: nothing was committed", finalPath);
  }

  /** Aborts unless committed, so that an exception in a try-with-resources block leaves no output. */
  @Override
  public void close() {
    abort();
  }

  private void requireOpen() {
    if (state != State.OPEN) {
      throw new IllegalStateException("output " + finalPath + " is already " + state.name().toLowerCase());
    }
  }

  /** Lists the committed output (for logs and tests): relative paths of all files, sorted. */
  public static java.util.List<String> listFiles(FileSystem fs, Path dir) throws IOException {
    java.util.List<String> out = new java.util.ArrayList<>();
    collect(fs, dir, "", out);
    java.util.Collections.sort(out);
    return out;
  }

  private static void collect(FileSystem fs, Path dir, String prefix, java.util.List<String> out) throws IOException {
    for (FileStatus st : fs.listStatus(dir)) {
      String name = prefix + st.getPath().getName();
      if (st.isDirectory()) {
        collect(fs, st.getPath(), name + "/", out);
      } else {
        out.add(name);
      }
    }
  }

  private static OutputExistsException exists(String path, boolean complete) {
    return new OutputExistsException(path, "output path " + path + " already exists"
        + (complete ? " and holds a complete earlier run (it has _SUCCESS)"
            : " (without _SUCCESS: an incomplete or foreign directory)")
        + "; choose another output.path (e.g. with {ds} or {runId} in it) or set output.overwrite=true"
        + " (--overwrite) to replace it");
  }
}
