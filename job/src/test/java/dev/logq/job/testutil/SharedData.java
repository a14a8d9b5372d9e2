package dev.logq.job.testutil;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The real data sets of ../shared/data (not in the repository: their licenses forbid it). Located by
 * the system property {@code logq.sharedData} (default {@code ../shared/data}); tests using them skip
 * when they are absent.
 */
public final class SharedData {
  private SharedData() {
  }

  public static Path directory() {
    return Path.of(System.getProperty("logq.sharedData", "../shared/data"));
  }

  /** The archive, or null when it is absent. */
  public static Path archive(String name) {
    Path p = directory().resolve(name);
    return Files.isRegularFile(p) ? p : null;
  }

  /** Extracts one entry of a .tar.gz archive into {@code dir}; returns the file. */
  public static Path extract(Path archive, String entryName, Path dir) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
         TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(raw))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextTarEntry()) != null) {
        if (entry.getName().equals(entryName)) {
          Path out = dir.resolve(Path.of(entryName).getFileName().toString());
          Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
          return out;
        }
      }
    }
    throw new IOException(entryName + " not found in " + archive);
  }
}
