package dev.logq.job.output;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

/**
 * The filesystem of a path, for the files training writes over and over (checkpoint shards, the collective
 * rendezvous, checkpoint markers). For local paths ({@code file:}) it is Hadoop's {@link LocalFileSystem} (same
 * files, same {@code .crc} checksums) except that permissions are set through {@code java.nio}: without Hadoop's
 * native library (it is not on Maven Central, so neither here nor on most laptops) the stock one runs a
 * {@code chmod} process for every file and directory it creates, 3-15 ms each on a busy 2-core machine
 * (docs/benchmarks.md, issue 12, "Forks"), which was most of a collective segment's checkpoint and rendezvous.
 * Every other scheme (hdfs, s3a, ...) is Hadoop's own, from its cache, and so is {@code file:} where Hadoop's native
 * library is loaded or {@code fs.file.impl} names a filesystem of the user's. Like Hadoop's own FileSystem cache
 * (keyed by scheme, authority and user, never by configuration), the local one is initialised with the first
 * caller's Configuration (umask, bytes per checksum) for the JVM's life.
 */
public final class HadoopFiles {

  private static volatile LocalFileSystem local;

  private HadoopFiles() {}

  public static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
    URI uri = path.toUri();
    String scheme = uri.getScheme() != null ? uri.getScheme() : FileSystem.getDefaultUri(conf).getScheme();
    // Hadoop's own where it does not fork (its native library), or where the user chose a local filesystem.
    if (!"file".equals(scheme) || NativeIO.isAvailable() || conf.get("fs.file.impl") != null) {
      return path.getFileSystem(conf);
    }
    LocalFileSystem fs = local;
    if (fs == null) {
      synchronized (HadoopFiles.class) {
        if (local == null) {
          LocalFileSystem created = new LocalFileSystem(new NioPermissions());
          created.initialize(URI.create("file:///"), conf);
          local = created;
        }
        fs = local;
      }
    }
    return fs;
  }

  /** Hadoop's raw local filesystem, setting permissions in-process where the platform has POSIX permissions. */
  static final class NioPermissions extends RawLocalFileSystem {

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      short mode = permission.toShort();
      java.nio.file.Path file = pathToFile(p).toPath();
      if ((mode & ~0777) != 0 || !Files.getFileStore(file).supportsFileAttributeView("posix")) {
        super.setPermission(p, permission); // sticky bit, or no POSIX permissions: Hadoop's own way
        return;
      }
      Files.setPosixFilePermissions(file, posix(mode));
    }

    /** The permission bits (rwxrwxrwx, owner first) as java.nio's set. */
    static Set<PosixFilePermission> posix(short mode) {
      PosixFilePermission[] order = {
          PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
          PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE};
      Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
      for (int i = 0; i < 9; i++) {
        if ((mode & (0400 >> i)) != 0) {
          set.add(order[i]);
        }
      }
      return set;
    }
  }
}
