package dev.logq.job.train.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** N in-JVM peers on loopback, one thread each: what a barrier stage's N tasks do, without Spark. */
public final class Peers {

  private Peers() {}

  public interface Body<T> {
    T run(PeerGroup group) throws Exception;
  }

  public static PeerGroup.Options options(Duration receiveTimeout) {
    return PeerGroup.Options.defaults().withReceiveTimeout(receiveTimeout);
  }

  /** Listens, "rendezvous" (the address list), connects, runs body on every rank, closes; results by rank. */
  public static <T> List<Outcome<T>> run(int n, PeerGroup.Options options, Duration limit, Body<T> body) throws Exception {
    String id = "test-" + UUID.randomUUID();
    List<PeerGroup> groups = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      PeerGroup g = PeerGroup.listen(id, r, n, "127.0.0.1", options);
      groups.add(g);
      addresses.add(g.address());
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<T>> futures = new ArrayList<>();
      long[] ended = new long[n];
      for (int r = 0; r < n; r++) {
        PeerGroup g = groups.get(r);
        int rank = r;
        futures.add(pool.submit(() -> {
          try (g) {
            g.connect(addresses);
            return body.run(g);
          } finally {
            ended[rank] = System.nanoTime();
          }
        }));
      }
      List<Outcome<T>> out = new ArrayList<>();
      long deadline = System.nanoTime() + limit.toNanos();
      for (int r = 0; r < n; r++) {
        try {
          T value = futures.get(r).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          out.add(new Outcome<>(value, null, ended[r]));
        } catch (ExecutionException e) {
          out.add(new Outcome<>(null, e.getCause(), ended[r]));
        } catch (TimeoutException e) {
          throw new AssertionError("rank " + r + " did not finish within " + limit, e);
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(10, TimeUnit.SECONDS);
      for (PeerGroup g : groups) {
        g.close();
      }
    }
  }

  public record Outcome<T>(T value, Throwable error, long endedNanos) {
    public T get() {
      if (error != null) {
        throw new AssertionError("rank failed: " + error, error);
      }
      return value;
    }
  }
}
