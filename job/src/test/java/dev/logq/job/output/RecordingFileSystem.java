package dev.logq.job.output;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import java.io.OutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The local filesystem under the scheme "rec://", recording creates and renames in order and able to
 * fail the creation of a file with a given name: lets the tests see the commit protocol's sequence
 * and break it at a chosen step.
 */
public final class RecordingFileSystem extends RawLocalFileSystem {

  static final List<String> OPS = Collections.synchronizedList(new ArrayList<>());
  static volatile String failCreateOf;

  static Configuration configuration() {
    Configuration conf = new Configuration(false);
    conf.set("fs.rec.impl", RecordingFileSystem.class.getName());
    conf.setBoolean("fs.rec.impl.disable.cache", true);
    return conf;
  }

  static void reset() {
    OPS.clear();
    failCreateOf = null;
  }

  @Override
  public URI getUri() {
    return URI.create("rec:///");
  }

  @Override
  public String getScheme() {
    return "rec";
  }

  // Every create of RawLocalFileSystem ends in one of these two.
  @Override
  protected OutputStream createOutputStream(Path f, boolean append) throws IOException {
    record(f);
    return super.createOutputStream(f, append);
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission) throws IOException {
    record(f);
    return super.createOutputStreamWithMode(f, append, permission);
  }

  private static void record(Path f) throws IOException {
    if (f.getName().equals(failCreateOf)) {
      OPS.add("create-failed " + f.getName());
      throw new IOException("injected failure creating " + f);
    }
    OPS.add("create " + f.getParent().getName() + "/" + f.getName());
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    OPS.add("rename " + src.getName() + " -> " + dst.getName());
    return super.rename(src, dst);
  }
}
