package dev.logq.job.train.collective;

import dev.logq.common.model.SparseRows;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import dev.logq.common.optim.Optimizer;
import dev.logq.common.optim.Optimizers;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Round trip of one round's owner-sharded exchange with N = 2, 4, 8 peers in one JVM on loopback, at the
 * payload of B = 1,024 examples per worker, d = 64: 1,024 user rows (of 100k) and 1,024 item rows (of 50k)
 * per worker, about 2 x 1,024 x 64 floats = 512 KiB of gradient values. Three variants: the exchange alone
 * (reduce-scatter + all-gather, the owner returns its sum); the whole synchronisation of a round with the
 * all-gather (exchange + the owner's Adam step on its shard + applying every changed row to the worker's
 * replica); and the same with the pull ({@link ShardedExchange#pullRound}: each worker receives the rows its
 * next step reads, here the next gradient's rows, instead of every changed row), alternated in one run.
 * All N workers share this machine's cores, so at N > cores the numbers include CPU contention.
 *
 * <pre>mvn -B -o -Pbenchmarks -pl common,job -am test -Dtest=CollectiveRoundBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@Tag("benchmark")
class CollectiveRoundBenchmark {

  static final int DIM = 64;
  static final int ROWS = 1024;
  static final Map<String, Integer> TABLES = Map.of("user", 100_000, "item", 50_000);
  static final int WARMUP = 40;
  static final int MEASURED = 200;

  static TensorPatch gradient(Random rnd) {
    TensorPatch p = new TensorPatch();
    for (var e : TABLES.entrySet()) {
      TreeSet<Integer> ids = new TreeSet<>();
      while (ids.size() < ROWS) {
        // items: Zipf-like, low ids shared by every worker; users: uniform
        ids.add(e.getKey().equals("item") ? (int) Math.min(e.getValue() - 1, Math.exp(rnd.nextDouble()
            * Math.log(e.getValue())) - 1) : rnd.nextInt(e.getValue()));
      }
      float[] values = new float[ROWS * DIM];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) rnd.nextGaussian() * 1e-3f;
      }
      p.putRows(e.getKey(), new SparseRows(DIM, ids.stream().mapToInt(Integer::intValue).toArray(), values));
    }
    return p;
  }

  @Test
  void roundTrip() throws Exception {
    StringBuilder table = new StringBuilder();
    table.append("COLLECTIVE summary (load average at start ")
        .append(String.format("%.1f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
        .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores)\n");
    table.append("| N | variant | median ms | p90 ms | mean ms: reduce-scatter / owner step / all-gather / apply"
        + " | CPU ms per worker | sent KiB/worker | received KiB/worker | rows applied from the round |\n");
    table.append("|---|---|---|---|---|---|---|---|---|\n");
    for (int n : new int[] {2, 4, 8}) {
      for (String variant : new String[] {EXCHANGE, ALL_GATHER, PULL}) {
        table.append(measure(n, variant)).append('\n');
      }
    }
    System.out.println(table);
  }

  static final String EXCHANGE = "exchange only";
  static final String ALL_GATHER = "all-gather: exchange + Adam on shard + apply to replica";
  static final String PULL = "pull: exchange + Adam on shard + apply to replica";

  private static String measure(int n, String variant) throws Exception {
    boolean full = !variant.equals(EXCHANGE);
    boolean pull = variant.equals(PULL);
    RowOwnership ownership = new RowOwnership(n, 1L, TABLES);
    Optimizer adam = Optimizers.create("adam", 0.01, 0.9, 0.999, 1e-8);
    long[] cpu = new long[2];
    var outcomes = Peers.run(n, Peers.options(Duration.ofSeconds(60)), Duration.ofSeconds(300), g -> {
      Random rnd = new Random(g.rank());
      TensorPatch[] grads = new TensorPatch[8];
      for (int i = 0; i < grads.length; i++) {
        grads[i] = gradient(rnd);
      }
      TensorStore replica = null;
      OwnerShard shard = null;
      if (full) {
        replica = new TensorStore();
        for (var e : TABLES.entrySet()) {
          replica.addTable(e.getKey(), e.getValue(), DIM, TableInit.gaussian(e.getKey().hashCode(), 0.1));
          replica.table(e.getKey()).materializeAll();
        }
        shard = OwnerShard.of(replica, null, ownership, g.rank(), adam);
      }
      Collectives c = new Collectives(g);
      ShardedExchange x = new ShardedExchange(c, ownership);
      double[] millis = new double[MEASURED];
      double[] phases = new double[4];
      long sent = 0;
      long received = 0;
      long rows = 0;
      for (int i = 0; i < WARMUP + MEASURED; i++) {
        c.barrier(); // start every round together, as after the workers' gradient
        long t0 = System.nanoTime();
        TensorPatch grad = grads[i % grads.length].copy();
        if (i == WARMUP && g.rank() == 0) {
          cpu[0] = processCpuNanos();
        }
        ShardedExchange.Outcome o;
        long ta;
        long tb;
        long tc;
        if (pull) { // one call: its phases are not timed apart
          OwnerShard owner = shard;
          long step = i + 1;
          o = x.pullRound(grad, 1024, 0.0, reads(grads[(i + 1) % grads.length]), replica, owned -> owner.step(owned, step));
          ta = tb = tc = System.nanoTime();
        } else {
          // round() spelled out, to time its phases
          ShardedExchange.Owned owned = x.reduceScatter(grad, 1024);
          ta = System.nanoTime();
          TensorPatch mine = full ? shard.step(owned, i + 1) : owned.sum();
          tb = System.nanoTime();
          TensorPatch all = x.allGatherRows(mine);
          tc = System.nanoTime();
          o = new ShardedExchange.Outcome(all, owned.examples());
          if (full) {
            replica.applyPatch(o.newValues());
          }
        }
        long t1 = System.nanoTime();
        if (i >= WARMUP) {
          phases[0] += (ta - t0) / 1e6;
          phases[1] += (tb - ta) / 1e6;
          phases[2] += (tc - tb) / 1e6;
          phases[3] += (t1 - tc) / 1e6;
          millis[i - WARMUP] = (t1 - t0) / 1e6;
          sent += x.lastSentBytes();
          received += x.lastReceivedBytes();
          rows += o.newValues().rowCount();
        }
      }
      if (g.rank() == 0) {
        cpu[1] = processCpuNanos();
      }
      return new double[] {percentile(millis, 0.5), percentile(millis, 0.9), sent / (double) MEASURED,
          received / (double) MEASURED, rows / (double) MEASURED, phases[0] / MEASURED, phases[1] / MEASURED,
          phases[2] / MEASURED, phases[3] / MEASURED};
    });
    double median = 0;
    double p90 = 0;
    double sent = 0;
    double received = 0;
    double rows = 0;
    double[] phase = new double[4];
    for (var o : outcomes) { // the slowest worker's view: a round ends for everyone when the last one ends
      double[] v = o.get();
      for (int k = 0; k < 4; k++) {
        phase[k] += v[5 + k] / n;
      }
      median = Math.max(median, v[0]);
      p90 = Math.max(p90, v[1]);
      sent += v[2] / n;
      received += v[3] / n;
      rows = v[4];
    }
    double cpuPerWorker = (cpu[1] - cpu[0]) / 1e6 / MEASURED / n;
    return String.format("| %d | %s | %.2f | %.2f | %.1f / %.1f / %.1f / %.1f | %.2f | %.0f | %.0f | %.0f |", n,
        variant, median, p90, phase[0], phase[1],
        phase[2], phase[3], cpuPerWorker, sent / 1024, received / 1024, rows);
  }

  /** The rows a step on this gradient's batch reads: the gradient's rows. */
  static Map<String, int[]> reads(TensorPatch gradient) {
    Map<String, int[]> ids = new java.util.TreeMap<>();
    for (String t : gradient.tableNames()) {
      ids.put(t, gradient.rows(t).rowIds());
    }
    return ids;
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static double percentile(double[] values, double q) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.floor(q * s.length))];
  }
}
