package dev.logq.job.output;

import dev.logq.common.error.OutputExistsException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commit protocol on a real (in-process) HDFS, where rename semantics differ from the local disk. */
class AtomicOutputHdfsTest {

  @TempDir
  static File base;

  private static MiniDFSCluster cluster;
  private static Configuration conf;
  private static FileSystem fs;

  @BeforeAll
  static void startHdfs() throws IOException {
    conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).format(true).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  private static String uri(String path) {
    return fs.getUri() + path;
  }

  private static void run(String path, boolean overwrite, String runId, String version, boolean fail) throws IOException {
    try (AtomicOutput out = AtomicOutput.begin(conf, path, overwrite, runId)) {
      out.writeString("version.txt", version);
      out.writeString("embeddings/part-0", version);
      if (fail) {
        throw new IllegalStateException("boom");
      }
      out.commit();
    }
  }

  private static String read(String path) throws IOException {
    try (InputStream in = fs.open(new Path(path))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static List<String> children(String dir) throws IOException {
    return Arrays.stream(fs.listStatus(new Path(dir))).map(FileStatus::getPath).map(Path::getName).sorted().toList();
  }

  @Test
  void commitFailureAndOverwriteOnHdfs() throws IOException {
    String out = uri("/jobs/logq/2024-01-31");
    assertThrows(IllegalStateException.class, () -> run(out, false, "a1", "v0", true));
    assertFalse(fs.exists(new Path(out)));
    assertEquals(List.of(), children("/jobs/logq"));

    run(out, false, "a2", "v1", false);
    assertEquals("v1", read("/jobs/logq/2024-01-31/version.txt"));
    assertTrue(fs.exists(new Path("/jobs/logq/2024-01-31/_SUCCESS")));
    // On HDFS a rename onto an existing directory would move the staging directory INTO it:
    // the commit must never get that far without overwrite.
    assertThrows(OutputExistsException.class, () -> run(out, false, "a3", "v2", false));
    assertEquals(List.of("_SUCCESS", "embeddings", "version.txt"), children("/jobs/logq/2024-01-31"));

    assertThrows(IllegalStateException.class, () -> run(out, true, "a4", "v3", true));
    assertEquals("v1", read("/jobs/logq/2024-01-31/version.txt"));

    run(out, true, "a5", "v4", false);
    assertEquals("v4", read("/jobs/logq/2024-01-31/embeddings/part-0"));
    assertEquals(List.of("_SUCCESS", "embeddings", "version.txt"), children("/jobs/logq/2024-01-31"));
    assertEquals(List.of("2024-01-31"), children("/jobs/logq"));
  }
}
