package dev.logq.job.eval;

import static dev.logq.job.eval.EvalTestData.embeddings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.logq.common.eval.TrueDistribution;
import dev.logq.job.SparkTestSession;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PlantedDistanceTest {

  private static SparkSession spark;
  private static final int USERS = 6;
  private static final int ITEMS = 9;
  private static final int DIM = 3;
  private static float[][] users;
  private static float[][] items;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("PlantedDistanceTest");
    Random rnd = new Random(9);
    users = new float[USERS][DIM];
    items = new float[ITEMS][DIM];
    for (float[][] m : new float[][][] {users, items}) {
      for (float[] row : m) {
        for (int p = 0; p < DIM; p++) {
          row[p] = (float) rnd.nextGaussian();
        }
      }
    }
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  /** softmax(scale * <u, i>) computed independently in double. */
  private static double[] modelDistribution(int u, double scale) {
    double[] logits = new double[ITEMS];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < ITEMS; i++) {
      double s = 0;
      for (int p = 0; p < DIM; p++) {
        s += (double) users[u][p] * items[i][p];
      }
      logits[i] = scale * s;
      max = Math.max(max, logits[i]);
    }
    double z = 0;
    for (int i = 0; i < ITEMS; i++) {
      z += Math.exp(logits[i] - max);
    }
    double[] q = new double[ITEMS];
    for (int i = 0; i < ITEMS; i++) {
      q[i] = Math.exp(logits[i] - max) / z;
    }
    return q;
  }

  @Test
  void zeroWhenTheTruthIsTheModelAndExactAgainstUniform() {
    double scale = 2.5;
    int[] sample = {0, 2, 3, 3, 5, 77};   // 77 has no embedding; 3 counts once
    PlantedDistance.Result same = PlantedDistance.compute(embeddings(spark, "user_idx", users),
        embeddings(spark, "item_idx", items), sample, u -> modelDistribution(u, scale), scale);
    assertEquals(0.0, same.meanKl(), 1e-5);
    assertEquals(0.0, same.meanTotalVariation(), 1e-5);
    assertEquals(4, same.users());
    assertEquals(1, same.usersWithoutEmbedding());

    TrueDistribution uniform = u -> {
      double[] p = new double[ITEMS];
      java.util.Arrays.fill(p, 1.0 / ITEMS);
      return p;
    };
    PlantedDistance.Result r = PlantedDistance.compute(embeddings(spark, "user_idx", users),
        embeddings(spark, "item_idx", items), sample, uniform, scale);
    double kl = 0;
    double tv = 0;
    for (int u : new int[] {0, 2, 3, 5}) {
      double[] q = modelDistribution(u, scale);
      for (int i = 0; i < ITEMS; i++) {
        kl += (1.0 / ITEMS) * Math.log((1.0 / ITEMS) / q[i]);
        tv += 0.5 * Math.abs(1.0 / ITEMS - q[i]);
      }
    }
    assertEquals(kl / 4, r.meanKl(), 1e-5);
    assertEquals(tv / 4, r.meanTotalVariation(), 1e-5);
  }

  @Test
  void itemsMustCoverTheSupport() {
    float[][] gappy = items.clone();
    gappy[4] = null;
    assertThrows(IllegalArgumentException.class, () -> PlantedDistance.compute(embeddings(spark, "user_idx", users),
        embeddings(spark, "item_idx", gappy), new int[] {0}, u -> new double[ITEMS], 1.0));
  }
}
