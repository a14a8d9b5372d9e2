package dev.logq.job.train;

import dev.logq.common.config.JobConfig;
import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Per-round cost of the two synchronisation backends, side by side in one JVM (alternating, medians):
 * {@code mvn -B -Pbenchmarks -pl common,job -am test -Dtest=SyncBackendOverheadBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}; the table is printed to the test's output file.
 */
@Tag("benchmark")
class SyncBackendOverheadBenchmark {

  @Test
  void roundsVersusCollective() {
    SparkSession spark = SparkTestSession.start("SyncBackendOverheadBenchmark");
    try {
      PlantedClusters data = new PlantedClusters(4000, 2000, 40, 25, 3);
      JavaRDD<TrainingShard> shards = ShardBuilder.build(data.trainSet(spark), 2, 0, 1L);
      StringBuilder table = new StringBuilder(String.format("%-8s %6s %10s %12s %12s %12s %10s%n", "backend",
          "batch", "rounds", "ms/round", "gradient ms", "overhead ms", "examples/s"));
      for (int batch : new int[] {256, 1024}) {
        List<double[]> rounds = new ArrayList<>();
        List<double[]> collective = new ArrayList<>();
        for (int rep = 0; rep < 3; rep++) {
          for (String backend : DistributedTrainer.backendNames()) {
            TrainingPlan plan = new TrainingPlan(DistributedTrainerTest.spec().toBuilder().numUsers(4000).numItems(2000)
                .embeddingDim(64).outputDim(64).build(), "refined", true, 0, batch, 1, 2, 1, 17L, "adam", 0.01,
                0.9, 0.999, 1e-8, 0);
            long t0 = System.nanoTime();
            DistributedTrainer.Result r = new DistributedTrainer(JavaSparkContext.fromSparkContext(spark.sparkContext()),
                plan, null, new Configuration()).withBackend(backend).train(shards, data.itemLogQ(), false);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double[] row = {r.sync().rounds(), r.sync().meanRoundMillis(), r.sync().meanWorkerComputeMillis(),
                r.sync().meanOverheadMillis(), data.train.size() / seconds};
            (backend.equals(DistributedTrainer.ROUNDS) ? rounds : collective).add(row);
          }
        }
        table.append(row("rounds", batch, median(rounds))).append(row("collective", batch, median(collective)));
      }
      System.out.println("SYNC BACKENDS (medians of 3, alternating)\n" + table);
    } finally {
      spark.stop();
    }
  }

  private static String row(String name, int batch, double[] m) {
    return String.format("%-8s %6d %10.0f %12.2f %12.2f %12.2f %10.0f%n", name, batch, m[0], m[1], m[2], m[3], m[4]);
  }

  private static double[] median(List<double[]> rows) {
    double[] out = new double[rows.get(0).length];
    for (int c = 0; c < out.length; c++) {
      List<Double> column = new ArrayList<>();
      for (double[] r : rows) {
        column.add(r[c]);
      }
      Collections.sort(column);
      out[c] = column.get(column.size() / 2);
    }
    return out;
  }
}
