package dev.logq.job.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.SparkTestSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AlsBaselineTest {

  private static final StructType PAIRS = new StructType()
      .add("user_idx", DataTypes.IntegerType, false)
      .add("item_idx", DataTypes.IntegerType, false)
      .add("weight", DataTypes.DoubleType, false);
  private static final AlsBaseline.Settings SETTINGS = new AlsBaseline.Settings(4, 8, 0.05, 5.0, 2, 3L);
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("AlsBaselineTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  /**
   * Users and items in two interleaved groups (index parity); each user picks 6 of the 20 items of its
   * own group. The best unseen item of every user must be of the user's group: a shifted or swapped
   * id mapping between ALS's ids and user_idx / item_idx breaks this.
   */
  @Test
  void factorsKeepTheIndicesAndRankOwnGroupItemsFirst() {
    int users = 40;
    int items = 40;
    Random rng = new Random(5);
    List<Row> rows = new ArrayList<>();
    Map<Integer, Set<Integer>> seen = new HashMap<>();
    for (int u = 0; u < users; u++) {
      Set<Integer> picked = new HashSet<>();
      while (picked.size() < 6) {
        picked.add(2 * rng.nextInt(items / 2) + u % 2);
      }
      for (int i : picked) {
        rows.add(RowFactory.create(u, i, 1.0));
      }
      seen.put(u, picked);
    }
    AlsBaseline.Factors f = AlsBaseline.fit(spark.createDataFrame(rows, PAIRS), SETTINGS);
    Map<Integer, float[]> userFactors = collect(f.users(), "user_idx");
    Map<Integer, float[]> itemFactors = collect(f.items(), "item_idx");
    f.unpersist();
    assertEquals(users, userFactors.size());
    assertEquals(items, itemFactors.size());
    for (int u = 0; u < users; u++) {
      assertTrue(userFactors.containsKey(u), "no factor for user_idx " + u);
      assertEquals(SETTINGS.rank(), userFactors.get(u).length);
      int best = -1;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < items; i++) {
        if (seen.get(u).contains(i)) {
          continue;
        }
        double s = dot(userFactors.get(u), itemFactors.get(i));
        if (s > bestScore) {
          bestScore = s;
          best = i;
        }
      }
      assertEquals(u % 2, best % 2, "user " + u + ": best unseen item " + best + " is of the other group");
    }
  }

  /** A pair repeated twice is one rating of 2, exactly like one row of weight 2. */
  @Test
  void repeatedPairsAreSummedIntoOneRating() {
    List<Row> repeated = new ArrayList<>();
    List<Row> weighted = new ArrayList<>();
    Random rng = new Random(9);
    for (int u = 0; u < 15; u++) {
      for (int k = 0; k < 5; k++) {
        int item = rng.nextInt(12);
        boolean twice = rng.nextBoolean();
        repeated.add(RowFactory.create(u, item, 1.0));
        if (twice) {
          repeated.add(RowFactory.create(u, item, 1.0));
        }
        weighted.add(RowFactory.create(u, item, twice ? 2.0 : 1.0));
      }
    }
    AlsBaseline.Factors a = AlsBaseline.fit(spark.createDataFrame(repeated, PAIRS), SETTINGS);
    AlsBaseline.Factors b = AlsBaseline.fit(spark.createDataFrame(weighted, PAIRS), SETTINGS);
    Map<Integer, float[]> ua = collect(a.users(), "user_idx");
    Map<Integer, float[]> ub = collect(b.users(), "user_idx");
    a.unpersist();
    b.unpersist();
    assertEquals(ub.keySet(), ua.keySet());
    for (int u : ua.keySet()) {
      for (int d = 0; d < SETTINGS.rank(); d++) {
        assertEquals(ub.get(u)[d], ua.get(u)[d], 1e-4, "user " + u + " dim " + d);
      }
    }
  }

  @Test
  void rejectsMissingColumnsAndInvalidSettings() {
    Dataset<Row> noItems = spark.createDataFrame(List.of(RowFactory.create(1, 2, 1.0)), PAIRS).drop("item_idx");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AlsBaseline.fit(noItems, SETTINGS));
    assertTrue(e.getMessage().contains("item_idx"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new AlsBaseline.Settings(0, 5, 0.1, 1, 2, 1));
    assertThrows(IllegalArgumentException.class, () -> new AlsBaseline.Settings(8, 5, -0.1, 1, 2, 1));
    assertThrows(IllegalArgumentException.class, () -> new AlsBaseline.Settings(8, 5, 0.1, Double.NaN, 2, 1));
  }

  static Map<Integer, float[]> collect(Dataset<Row> factors, String idColumn) {
    Map<Integer, float[]> out = new HashMap<>();
    for (Row r : factors.select(idColumn, "embedding").collectAsList()) {
      List<Float> v = r.getList(1);
      float[] a = new float[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      assertEquals(null, out.put(r.getInt(0), a), "duplicate " + idColumn + " " + r.getInt(0));
    }
    return out;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
