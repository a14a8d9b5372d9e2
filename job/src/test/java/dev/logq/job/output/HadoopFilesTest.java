package dev.logq.job.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopFilesTest {

  @TempDir
  java.nio.file.Path tmp;

  @Test
  void everyPermissionModeMapsToTheSameBitsAsHadoopsOwnString() {
    for (short mode = 0; mode < 01000; mode++) {
      assertEquals(PosixFilePermissions.fromString(new FsPermission(mode).toString()),
          HadoopFiles.NioPermissions.posix(mode), "mode " + Integer.toOctalString(mode));
    }
  }

  /** Same files, modes and checksums as Hadoop's LocalFileSystem, which reads them back and verifies them. */
  @Test
  void localFilesAreWhatHadoopsLocalFileSystemWritesAndReadsBack() throws Exception {
    Assumptions.assumeFalse(NativeIO.isAvailable(), "with Hadoop's native library the stock filesystem is used");
    Configuration conf = new Configuration();
    Path ours = new Path(tmp.toUri().toString(), "ours/a/b");
    Path stock = new Path(tmp.toUri().toString(), "stock/a/b");
    FileSystem fs = HadoopFiles.fileSystem(ours, conf);
    FileSystem hadoops = stock.getFileSystem(conf);
    assertNotSame(hadoops, fs);
    assertTrue(fs instanceof LocalFileSystem, "checksummed, as Hadoop's local filesystem");
    byte[] data = "rank 0 at host:4711".getBytes(StandardCharsets.UTF_8);
    for (var pair : java.util.List.of(java.util.List.of(fs, ours), java.util.List.of(hadoops, stock))) {
      FileSystem f = (FileSystem) pair.get(0);
      Path dir = (Path) pair.get(1);
      assertTrue(f.mkdirs(dir));
      try (OutputStream out = f.create(new Path(dir, "file"), true)) {
        out.write(data);
      }
    }
    for (String p : new String[] {"ours/a", "ours/a/b", "ours/a/b/file", "ours/a/b/.file.crc"}) {
      java.nio.file.Path mine = tmp.resolve(p);
      java.nio.file.Path theirs = tmp.resolve(p.replaceFirst("ours", "stock"));
      assertEquals(Files.getPosixFilePermissions(theirs), Files.getPosixFilePermissions(mine), p);
    }
    assertArrayEquals(Files.readAllBytes(tmp.resolve("stock/a/b/.file.crc")),
        Files.readAllBytes(tmp.resolve("ours/a/b/.file.crc")), "the same checksum file");
    try (InputStream in = hadoops.open(new Path(ours, "file"))) { // Hadoop's own, verifying the checksum
      assertArrayEquals(data, in.readAllBytes());
    }
    Path renamed = new Path(ours, "renamed");
    assertTrue(fs.rename(new Path(ours, "file"), renamed));
    assertTrue(hadoops.exists(renamed));
    assertTrue(Files.exists(tmp.resolve("ours/a/b/.renamed.crc")), "the checksum moves with the file");
  }

  @Test
  void otherSchemesAndAUsersOwnLocalFileSystemAreHadoops() throws Exception {
    Configuration conf = RecordingFileSystem.configuration();
    Path rec = new Path("rec:///x");
    assertEquals(rec.getFileSystem(conf).getClass(), HadoopFiles.fileSystem(rec, conf).getClass());
    Configuration custom = new Configuration();
    custom.set("fs.file.impl", LocalFileSystem.class.getName());
    Path local = new Path(tmp.toUri().toString());
    assertSame(local.getFileSystem(custom), HadoopFiles.fileSystem(local, custom));
  }
}
