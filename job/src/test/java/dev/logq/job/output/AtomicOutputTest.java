package dev.logq.job.output;

import dev.logq.common.error.OutputExistsException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicOutputTest {

  @TempDir
  File tmp;

  private final Configuration conf = new Configuration(false);

  @BeforeEach
  void resetRecorder() {
    RecordingFileSystem.reset();
  }

  private String out() {
    return "file://" + new File(tmp, "run").getAbsolutePath();
  }

  /** A run that writes two files; throws before committing when {@code failMidway}. */
  private static void run(Configuration conf, String path, boolean overwrite, String runId, String version,
      boolean failMidway) throws IOException {
    try (AtomicOutput out = AtomicOutput.begin(conf, path, overwrite, runId)) {
      out.writeString("version.txt", version);
      try (OutputStream s = out.create("model/params.bin")) {
        s.write(new byte[] {1, 2, 3});
      }
      if (failMidway) {
        throw new IllegalStateException("training diverged");
      }
      out.writeString("after-" + version + ".txt", version);
      out.commit();
    }
  }

  private static String read(File f) throws IOException {
    return Files.readString(f.toPath(), StandardCharsets.UTF_8);
  }

  /** Names in the parent directory, Hadoop checksum files left out. */
  private List<String> parentEntries() {
    return Arrays.stream(tmp.list()).filter(n -> !n.endsWith(".crc")).sorted().toList();
  }

  @Test
  void successCommitsEverythingWithTheMarkerAndLeavesNoStaging() throws IOException {
    run(conf, out(), false, "r1", "v1", false);
    File dir = new File(tmp, "run");
    assertEquals("v1", read(new File(dir, "version.txt")));
    assertTrue(new File(dir, "model/params.bin").isFile());
    assertTrue(new File(dir, AtomicOutput.SUCCESS_MARKER).isFile());
    assertTrue(read(new File(dir, AtomicOutput.SUCCESS_MARKER)).contains("runId=r1"));
    assertEquals(List.of("run"), parentEntries());
  }

  @Test
  void theMarkerIsWrittenLastAfterTheRename() throws IOException {
    String path = "rec://" + new File(tmp, "run").getAbsolutePath();
    run(RecordingFileSystem.configuration(), path, false, "r1", "v1", false);
    List<String> ops = List.copyOf(RecordingFileSystem.OPS);
    String last = ops.get(ops.size() - 1);
    assertEquals("create run/_SUCCESS", last, ops.toString());
    assertEquals("rename _run.tmp-r1 -> run", ops.get(ops.size() - 2), ops.toString());
    // Every data file was created (in staging) before the rename.
    assertTrue(ops.indexOf("create _run.tmp-r1/version.txt") < ops.size() - 2, ops.toString());
    assertTrue(ops.indexOf("create model/params.bin") < ops.size() - 2, ops.toString());
  }

  @Test
  void aRunThatThrowsLeavesNoOutputNoMarkerAndNoStaging() {
    assertThrows(IllegalStateException.class, () -> run(conf, out(), false, "r1", "v1", true));
    assertFalse(new File(tmp, "run").exists());
    assertEquals(List.of(), parentEntries());
  }

  @Test
  void anExistingOutputIsRefusedWithoutOverwrite() throws IOException {
    run(conf, out(), false, "r1", "v1", false);
    OutputExistsException e = assertThrows(OutputExistsException.class, () -> run(conf, out(), false, "r2", "v2", false));
    assertEquals(4, e.exitCode().code());
    assertTrue(e.getMessage().contains(new File(tmp, "run").getAbsolutePath()), e.getMessage());
    assertTrue(e.getMessage().contains("output.overwrite"), e.getMessage());
    assertTrue(e.getMessage().contains("_SUCCESS"), e.getMessage());
    assertEquals("v1", read(new File(tmp, "run/version.txt")));
    assertThrows(OutputExistsException.class, () -> AtomicOutput.checkWritable(conf, out(), false));
  }

  @Test
  void anOutputAppearingDuringTheRunIsNotClobbered() throws IOException {
    AtomicOutput out = AtomicOutput.begin(conf, out(), false, "r1");
    out.writeString("a.txt", "mine");
    assertTrue(new File(tmp, "run").mkdirs());   // someone else got there first
    assertThrows(OutputExistsException.class, out::commit);
    assertFalse(new File(tmp, "_run.tmp-r1").exists());
    assertEquals(0, new File(tmp, "run").list().length);
  }

  @Test
  void aFailingOverwriteKeepsThePreviousOutputAndASucceedingOneReplacesIt() throws IOException {
    run(conf, out(), false, "r1", "v1", false);
    assertThrows(IllegalStateException.class, () -> run(conf, out(), true, "r2", "v2", true));
    File dir = new File(tmp, "run");
    assertEquals("v1", read(new File(dir, "version.txt")));
    assertTrue(new File(dir, AtomicOutput.SUCCESS_MARKER).isFile());
    assertEquals(List.of("run"), parentEntries());

    run(conf, out(), true, "r3", "v3", false);
    assertEquals("v3", read(new File(dir, "version.txt")));
    assertTrue(new File(dir, "after-v3.txt").isFile());
    assertFalse(new File(dir, "after-v1.txt").exists(), "old files must not survive a replace");
    assertTrue(read(new File(dir, AtomicOutput.SUCCESS_MARKER)).contains("runId=r3"));
    assertEquals(List.of("run"), parentEntries());
  }

  @Test
  void anOverwriteWhoseCommitFailsRestoresThePreviousOutput() throws IOException {
    Configuration rec = RecordingFileSystem.configuration();
    String path = "rec://" + new File(tmp, "run").getAbsolutePath();
    run(rec, path, false, "r1", "v1", false);
    RecordingFileSystem.failCreateOf = AtomicOutput.SUCCESS_MARKER;
    assertThrows(IOException.class, () -> run(rec, path, true, "r2", "v2", false));
    File dir = new File(tmp, "run");
    assertEquals("v1", read(new File(dir, "version.txt")));
    assertTrue(new File(dir, "after-v1.txt").isFile());
    assertFalse(new File(dir, "after-v2.txt").exists());
    assertTrue(new File(dir, AtomicOutput.SUCCESS_MARKER).isFile());
    assertEquals(List.of("run"), parentEntries());
  }

  @Test
  void aFirstRunWhoseMarkerCannotBeWrittenLeavesNothingVisible() {
    Configuration rec = RecordingFileSystem.configuration();
    String path = "rec://" + new File(tmp, "run").getAbsolutePath();
    RecordingFileSystem.failCreateOf = AtomicOutput.SUCCESS_MARKER;
    assertThrows(IOException.class, () -> run(rec, path, false, "r1", "v1", false));
    assertEquals(List.of(), parentEntries());
  }

  @Test
  void runScopedPathsCreateTheirParents() throws IOException {
    String pattern = "file://" + tmp.getAbsolutePath() + "/logq/{ds}/run-{runId}";
    String path = OutputPaths.resolve(pattern, "2024-01-31", "attempt1");
    assertEquals("file://" + tmp.getAbsolutePath() + "/logq/2024-01-31/run-attempt1", path);
    run(conf, path, false, "attempt1", "v1", false);
    assertTrue(new File(tmp, "logq/2024-01-31/run-attempt1/_SUCCESS").isFile());
    // The next day's run goes elsewhere and does not collide.
    run(conf, OutputPaths.resolve(pattern, "2024-02-01", "attempt1"), false, "attempt1", "v2", false);
    assertEquals("v2", read(new File(tmp, "logq/2024-02-01/run-attempt1/version.txt")));
  }

  @Test
  void placeholderErrorsNameTheKey() {
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> OutputPaths.resolve("out/{ds}", "", "r"));
    assertTrue(empty.getMessage().contains("run.ds"), empty.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> OutputPaths.resolve("out/{DS}", "2024-01-31", "r"));
    assertTrue(unknown.getMessage().contains("{DS}"), unknown.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OutputPaths.resolve("out/{runId}", "d", "../x"));
    assertEquals("out/plain", OutputPaths.resolve("out/plain", "", ""));
  }

  @Test
  void stagedNamesMustStayInsideTheOutput() throws IOException {
    try (AtomicOutput out = AtomicOutput.begin(conf, out(), false, "r1")) {
      for (String bad : new String[] {"../x", "/abs", "a/../b", "", AtomicOutput.SUCCESS_MARKER, "a//b"}) {
        assertThrows(IllegalArgumentException.class, () -> out.stagingPath(bad), bad);
      }
      assertEquals(new Path(out.stagingDir(), "model/params.bin"), out.stagingPath("model/params.bin"));
    }
  }

  @Test
  void aRerunOfTheSameRunIdRemovesTheStaleStagingDirectory() throws IOException {
    File stale = new File(tmp, "_run.tmp-r1/half-written.bin");
    assertTrue(stale.getParentFile().mkdirs());
    Files.writeString(stale.toPath(), "x");
    run(conf, out(), false, "r1", "v1", false);
    assertFalse(new File(tmp, "run/half-written.bin").exists());
    assertEquals(List.of("run"), parentEntries());
  }

  @Test
  void aGeneratedRunIdIsUsedWhenNoneIsGiven() throws IOException {
    try (AtomicOutput out = AtomicOutput.begin(conf, out(), false, "")) {
      assertTrue(out.runId().matches("\\d{8}-\\d{6}-[0-9a-f]{8}"), out.runId());
      FileSystem fs = out.fileSystem();
      assertTrue(fs.exists(out.stagingDir()));
    }
  }
}
