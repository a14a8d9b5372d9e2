package dev.logq.job.train;

import dev.logq.common.model.ModelSpec;
import dev.logq.job.console.MemoryWatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A JVM of its own (run by {@link MemoryEstimateTest}) that trains ID towers with a catalog of {@code items} rows in
 * local[2] and prints its peak resident set and the {@link MemoryEstimate} of the run. Its few examples touch every
 * chunk of every table (one item per chunk), so every row is materialised as in a real epoch over a real catalog,
 * in seconds instead of an hour.
 *
 * <p>Arguments: items, users, backend (rounds | collective), dim.
 */
public final class MemoryProbe {

  public static void main(String[] args) {
    int items = Integer.parseInt(args[0]);
    int users = Integer.parseInt(args[1]);
    String backend = args[2];
    int dim = Integer.parseInt(args[3]);
    SparkSession spark = SparkSession.builder().master("local[2]").appName("memory-probe")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.default.parallelism", "2").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    ModelSpec spec = ModelSpec.builder().numUsers(users).numItems(items).embeddingDim(dim).outputDim(dim)
        .l2Normalize(true).temperature(0.1).initStd(0.1).seed(5).build();
    int chunkRows = 1 << Math.max(0, 31 - Integer.numberOfLeadingZeros(Math.max(1, (1 << 16) / dim)));
    int examples = Math.max((items + chunkRows - 1) / chunkRows, (users + chunkRows - 1) / chunkRows) * 2;
    List<Row> rows = new ArrayList<>();
    for (int e = 0; e < examples; e++) {
      int item = (int) Math.min(items - 1L, (long) (e / 2) * chunkRows + e % 2);
      int user = (int) Math.min(users - 1L, (long) (e / 2) * chunkRows + e % 2);
      rows.add(RowFactory.create(user, item, (long) e));
    }
    int batch = (examples + 1) / 2; // one round per epoch: the fewest rounds that touch every chunk
    // Three epochs: the first materialises every chunk, the next two train with everything live, which is when the
    // sampler below sees the whole model (master, optimizer state and replica).
    TrainingPlan plan = new TrainingPlan(spec, "refined", true, 0, batch, 3, 2, 1, 17L, "adam", 0.01, 0.9, 0.999,
        1e-8, 0);
    double[] logQ = new double[items];
    Arrays.fill(logQ, -Math.log(items));
    MemoryWatch.start();
    long before = MemoryWatch.residentBytes();
    LiveHeapSampler live = new LiveHeapSampler();
    live.start();
    JavaRDD<TrainingShard> shards = ShardBuilder.build(spark.createDataFrame(rows, PlantedClusters.SCHEMA), 2, 0, 17L);
    new DistributedTrainer(JavaSparkContext.fromSparkContext(spark.sparkContext()), plan,
        null, new Configuration()).withBackend(backend).train(shards, logQ, false);
    live.interrupt();
    MemoryEstimate estimate = MemoryEstimate.of(plan, backend);
    System.out.println("PROBE start_rss=" + before + " peak_rss=" + MemoryWatch.peakResidentBytes()
        + " peak_live_heap=" + live.peak + " estimate_local=" + estimate.localModeBytes(2) + " param_bytes=" + estimate.paramBytes()
        + " examples=" + examples);
    spark.stop();
  }

  /**
   * The live heap (used bytes right after a full collection), sampled while training runs: what the formula
   * predicts, free of the collector's headroom, which the resident set also holds. The peak counts a level only
   * when two consecutive samples (200 ms apart) hold it: the model is live for seconds, while a short-lived copy
   * caught by one sample (one of five suite runs in session 12 measured 1.21x the formula and failed)
   * is not what the formula is about.
   */
  private static final class LiveHeapSampler extends Thread {
    volatile long peak;

    LiveHeapSampler() {
      setDaemon(true);
    }

    @Override
    public void run() {
      java.lang.management.MemoryMXBean heap = java.lang.management.ManagementFactory.getMemoryMXBean();
      long previous = 0;
      while (!isInterrupted()) {
        System.gc();
        long used = heap.getHeapMemoryUsage().getUsed();
        peak = Math.max(peak, Math.min(previous, used));
        previous = used;
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
