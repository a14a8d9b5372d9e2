package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.ModelSpec;
import dev.logq.job.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, scaling: the distributed trainer on local[1] with 1 worker against local[2] with 2 workers, the
 * same data (planted clusters, 20,000 users x 10 = 200,000 training interactions, 10,000 items), the same
 * model (ID towers, d = 64, L2, tau = 0.05, refined logQ, Adam) and the same examples per epoch, B = 1024 per
 * worker; with gradients averaged every step (train.syncEvery = 1, the default) and with 4 local steps between
 * parameter averagings (syncEvery = 4).
 *
 * <p>Examples/s is that of the last of {@value #EPOCHS} epochs (the first builds the replicas and warms up).
 * The 1- and 2-worker runs of a setting alternate, their order flipped every round, after one untimed warm-up
 * run; each run gets a fresh Spark session. The machine has 2 cores: the 2-worker run uses both, and the driver
 * (which sums the workers' results and runs the optimizer between rounds) shares them.
 *
 * <p>Run: {@code mvn -B -o -Pbenchmarks -pl common,job -am test -Dtest=WorkerScalingBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}; the table is written to {@code job/target/speed/workers.md}.
 */
@Tag("benchmark")
class WorkerScalingBenchmark {

  private static final int EPOCHS = 2;
  private static final int REPEATS = 3;
  private static final int BATCH = 1024;
  private static final int[] SYNC_EVERY = {1, 4};
  private static final PlantedClusters DATA = new PlantedClusters(20_000, 10_000, 100, 10, 3);

  private record Run(int workers, int syncEvery, double examplesPerSecond, double roundMillis,
                     double computeMillis, double overheadMillis, double driverMillis, double meanLoss,
                     double load, double epochMillisPerRound) {}

  @Test
  void oneVersusTwoWorkers() throws Exception {
    assertEquals(200_000, DATA.train.size());
    run(2, 1, 1); // warm-up: JIT, Spark classes
    // results[setting][round] = {1 worker, 2 workers}
    List<List<Run[]>> results = new ArrayList<>();
    for (int ignored : SYNC_EVERY) {
      results.add(new ArrayList<>());
    }
    for (int r = 0; r < REPEATS; r++) {
      for (int s = 0; s < SYNC_EVERY.length; s++) {
        int syncEvery = SYNC_EVERY[s];
        Run one;
        Run two;
        if (r % 2 == 0) {
          one = run(1, syncEvery, EPOCHS);
          two = run(2, syncEvery, EPOCHS);
        } else {
          two = run(2, syncEvery, EPOCHS);
          one = run(1, syncEvery, EPOCHS);
        }
        results.get(s).add(new Run[] {one, two});
        System.out.printf(Locale.ROOT, "round %d, syncEvery %d: 1 worker %.0f, 2 workers %.0f examples/s, speed-up"
            + " %.2f%n", r + 1, syncEvery, one.examplesPerSecond, two.examplesPerSecond,
            two.examplesPerSecond / one.examplesPerSecond);
      }
    }
    String table = table(results);
    System.out.println(table);
    Path dir = Files.createDirectories(Path.of("target", "speed"));
    Files.writeString(dir.resolve("workers.md"), table);
    for (List<Run[]> setting : results) {
      for (Run[] pair : setting) {
        for (Run run : pair) {
          assertTrue(run.examplesPerSecond > 0 && Double.isFinite(run.meanLoss), "bad run " + run);
        }
      }
    }
  }

  private static Run run(int workers, int syncEvery, int epochs) {
    double load = loadAverage();
    SparkSession spark = SparkTestSession.start("WorkerScalingBenchmark", "local[" + workers + "]");
    try {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      TrainingPlan plan = new TrainingPlan(spec(), "refined", true, 0, BATCH, epochs, workers, syncEvery, 17L,
          "adam", 0.005, 0.9, 0.999, 1e-8, 0);
      JavaRDD<TrainingShard> shards = ShardBuilder.build(DATA.trainSet(spark), workers, 0, plan.seed());
      try {
        ShardBuilder.sizes(shards); // materialise the cached shards before the clock starts
        DistributedTrainer.Result result = new DistributedTrainer(sc, plan, null, new Configuration())
            .train(shards, DATA.itemLogQ(), false);
        TrainerState.EpochStats last = result.state().curve().get(epochs - 1);
        assertEquals(DATA.train.size(), last.examples());
        DistributedTrainer.SyncStats s = result.sync();
        return new Run(workers, syncEvery, last.examplesPerSecond(), s.meanRoundMillis(),
            s.meanWorkerComputeMillis(), s.meanOverheadMillis(), s.meanDriverUpdateMillis(), last.meanLoss(), load,
            1000 * last.seconds() / last.rounds());
      } finally {
        shards.unpersist(true);
      }
    } finally {
      spark.stop();
    }
  }

  static ModelSpec spec() {
    return ModelSpec.builder().numUsers(DATA.users).numItems(DATA.items).embeddingDim(64).outputDim(64)
        .l2Normalize(true).temperature(0.05).initStd(0.1).seed(5).build();
  }

  private static String table(List<List<Run[]>> results) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Distributed trainer, 1 vs 2 workers (%s)%n", LocalDate.now()));
    sb.append(String.format(Locale.ROOT, "%d training interactions, %d users, %d items, d = 64, refined logQ, "
        + "Adam, B = %d per worker; examples/s of epoch %d of %d%n%n", DATA.train.size(), DATA.users,
        DATA.items, BATCH, EPOCHS, EPOCHS));
    sb.append("load: the machine's 1-minute load average when each run started (2 cores)\n\n");
    sb.append("| syncEvery | round | 1 worker, local[1] | 2 workers, local[2] | speed-up | load (1 / 2 workers) |\n");
    sb.append("|---|---|---|---|---|---|\n");
    for (int s = 0; s < SYNC_EVERY.length; s++) {
      List<Run[]> rounds = results.get(s);
      double[] one = new double[rounds.size()];
      double[] two = new double[rounds.size()];
      double[] speedUp = new double[rounds.size()];
      for (int r = 0; r < rounds.size(); r++) {
        one[r] = rounds.get(r)[0].examplesPerSecond;
        two[r] = rounds.get(r)[1].examplesPerSecond;
        speedUp[r] = two[r] / one[r];
        sb.append(String.format(Locale.ROOT, "| %d | %d | %.0f | %.0f | %.2f | %.1f / %.1f |%n", SYNC_EVERY[s], r + 1,
            one[r], two[r], speedUp[r], rounds.get(r)[0].load, rounds.get(r)[1].load));
      }
      sb.append(String.format(Locale.ROOT, "| %d | **median** | **%.0f** | **%.0f** | **%.2f** | |%n", SYNC_EVERY[s],
          median(one), median(two), median(speedUp)));
    }
    sb.append("\nPer synchronisation round, ms, medians over the runs. Last epoch: its wall time / its rounds. The other"
        + " columns are means over both epochs: the Spark job (worker compute of the slowest worker + Spark"
        + " overhead) and the driver's update; the rest of a round is the driver's patch serialisation and"
        + " broadcast and the next task's set-up.\n\n");
    sb.append("| syncEvery | workers | last epoch | Spark job | worker compute (slowest) | Spark overhead "
        + "| driver update | last-epoch loss |\n|---|---|---|---|---|---|---|---|\n");
    for (int s = 0; s < SYNC_EVERY.length; s++) {
      List<Run[]> rounds = results.get(s);
      for (int w = 0; w < 2; w++) {
        final int idx = w;
        sb.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.4f |%n", SYNC_EVERY[s],
            w + 1, median(rounds.stream().mapToDouble(x -> x[idx].epochMillisPerRound).toArray()),
            median(rounds.stream().mapToDouble(x -> x[idx].roundMillis).toArray()),
            median(rounds.stream().mapToDouble(x -> x[idx].computeMillis).toArray()),
            median(rounds.stream().mapToDouble(x -> x[idx].overheadMillis).toArray()),
            median(rounds.stream().mapToDouble(x -> x[idx].driverMillis).toArray()),
            median(rounds.stream().mapToDouble(x -> x[idx].meanLoss).toArray())));
      }
    }
    return sb.toString();
  }

  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (java.io.IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
