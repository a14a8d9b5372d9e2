package dev.logq.job.ingest;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * Turns the byte offset Hadoop's text input gives a line into its 1-based line number, by reading the
 * file from the start (decompressed, as Hadoop reads it) and counting line ends the way Hadoop's
 * LineReader does: "\n", "\r" and "\r\n" each end one line. Runs on the driver, only for the few
 * records an error message names.
 */
final class LineNumbers {
  private LineNumbers() {
  }

  /** The 1-based line number of the line starting at {@code offset}, or -1 if the file is shorter. */
  static long lineAt(Configuration conf, String file, long offset) throws IOException {
    Path path = new Path(file);
    FileSystem fs = path.getFileSystem(conf);
    CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
    try (InputStream raw = fs.open(path);
         InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
      byte[] buffer = new byte[1 << 16];
      long position = 0;
      long lineEnds = 0;
      boolean previousCr = false;
      while (position < offset) {
        int want = (int) Math.min(buffer.length, offset - position);
        int read = in.read(buffer, 0, want);
        if (read < 0) {
          return -1;
        }
        for (int i = 0; i < read; i++) {
          byte b = buffer[i];
          if (b == '\n') {
            if (!previousCr) {
              lineEnds++;
            }
            previousCr = false;
          } else if (b == '\r') {
            lineEnds++;
            previousCr = true;
          } else {
            previousCr = false;
          }
        }
        position += read;
      }
      return lineEnds + 1;
    }
  }
}
