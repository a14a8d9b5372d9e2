package dev.logq.job.train;

import dev.logq.common.model.TensorStore;
import dev.logq.job.output.HadoopFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The trained parameters as one binary file on the output filesystem. Executors read it from there
 * (once per JVM) instead of receiving a broadcast: no 2 GB array limit, no serializer concerns, and the
 * file is part of the output anyway.
 */
public final class ModelFiles {

  private static final Map<String, TensorStore> LOADED = new ConcurrentHashMap<>();

  private ModelFiles() {}

  public static void write(TensorStore params, String path, Configuration conf) {
    Path p = new Path(path);
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(HadoopFiles.fileSystem(p, conf).create(p, true), 1 << 20))) {
      params.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write model " + path + ": " + e.getMessage(), e);
    }
  }

  public static TensorStore read(String path, Configuration conf) {
    Path p = new Path(path);
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(HadoopFiles.fileSystem(p, conf).open(p), 1 << 20))) {
      return TensorStore.readFrom(in);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read model " + path + ": " + e.getMessage(), e);
    }
  }

  /** Reads once per JVM and path; later calls share the (read-only) parameters. */
  static TensorStore cached(String path, Configuration conf) {
    return LOADED.computeIfAbsent(path, k -> {
      LOADED.clear(); // one model at a time per executor
      return read(k, conf);
    });
  }

  static void forget(String path) {
    LOADED.remove(path);
  }
}
