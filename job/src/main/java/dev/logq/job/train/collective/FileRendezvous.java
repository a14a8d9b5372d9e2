package dev.logq.job.train.collective;

import dev.logq.job.output.HadoopFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;

/**
 * The rendezvous of a segment through a directory every worker can reach (the checkpoint directory, which a
 * cluster run must share anyway): each rank writes its {@code host:port} to {@code <dir>/<rank>} (under a
 * temporary name, then renamed, so a reader never sees half an address) and polls until all N are there; the
 * pattern of torch.distributed's FileStore. Why not Spark's own
 * {@code BarrierTaskContext.allGather}: Spark 3.5 checks for its answer once a second, so it costs about 1 s per
 * segment (measured: 1.0-1.1 s), a fifth of an epoch at 2 x 1,024 here; this costs a few milliseconds. The
 * barrier stage still gang-schedules the tasks. {@code dir} must be new for every attempt of the stage.
 */
public final class FileRendezvous {

  private FileRendezvous() {}

  /** The host this executor is known by (what its block manager advertises): where its peers can reach it. */
  public static String executorHost() {
    return SparkEnv.get().blockManager().blockManagerId().host();
  }

  /** Listens, publishes this rank's address in {@code dir}, waits for all, connects. */
  public static PeerGroup join(String dir, String groupId, int rank, int size, String host, PeerGroup.Options options,
                               Configuration conf, Duration timeout) {
    PeerGroup group = PeerGroup.listen(groupId, rank, size, host, options);
    try {
      Path root = new Path(dir);
      FileSystem fs = HadoopFiles.fileSystem(root, conf);
      Path tmp = new Path(root, "_" + rank + ".tmp");
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(group.address().getBytes(StandardCharsets.UTF_8));
      }
      if (!fs.rename(tmp, new Path(root, Integer.toString(rank)))) {
        throw new IOException("could not rename " + tmp + " in place");
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      List<String> addresses = new ArrayList<>(size);
      long sleep = 1;
      for (int r = 0; r < size; r++) {
        Path p = new Path(root, Integer.toString(r));
        while (!fs.exists(p)) {
          if (System.nanoTime() > deadline) {
            throw new PeerFailureException(r, "rank " + rank + " waited " + timeout.toSeconds() + " s for rank " + r
                + " to publish its address in " + dir, null);
          }
          PeerGroup.stopIfTaskCancelled();
          Thread.sleep(sleep);
          sleep = Math.min(50, sleep * 2);
        }
        try (InputStream in = fs.open(p)) {
          addresses.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
      group.connect(addresses);
      return group;
    } catch (IOException e) {
      group.close();
      throw new UncheckedIOException("rendezvous in " + dir + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      group.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during the rendezvous in " + dir, e);
    } catch (RuntimeException e) {
      group.close();
      throw e;
    }
  }
}
