package dev.logq.common.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SyntheticModelTest {

  private static SyntheticModel model(long seed, int items, double zipf, double temperature) {
    return new SyntheticModel(500, items, 8, zipf, temperature, seed, 30);
  }

  @Test
  void deterministicPerSeedAndUser() {
    SyntheticModel a = model(7, 300, 1.0, 0.25);
    SyntheticModel b = model(7, 300, 1.0, 0.25);
    SyntheticModel c = model(8, 300, 1.0, 0.25);
    for (int u : new int[] {0, 17, 499}) {
      assertArrayEquals(a.interactions(u).items, b.interactions(u).items);
      assertArrayEquals(a.interactions(u).timestamps, b.interactions(u).timestamps);
      assertArrayEquals(a.userVector(u), b.userVector(u));
    }
    assertFalse(Arrays.equals(a.interactions(17).items, c.interactions(17).items));
    assertFalse(Arrays.equals(a.itemVector(3), c.itemVector(3)));
    // a user's draws do not depend on the catalog's other users (only on seed and user)
    SyntheticModel moreUsers = new SyntheticModel(5000, 300, 8, 1.0, 0.25, 7, 30);
    assertArrayEquals(a.interactions(17).items, moreUsers.interactions(17).items);
  }

  @Test
  void vectorsAreUnitLength() {
    SyntheticModel m = model(7, 50, 1.0, 0.25);
    for (int i = 0; i < 50; i++) {
      double n = 0;
      for (float f : m.itemVector(i)) {
        n += f * f;
      }
      assertEquals(1.0, n, 1e-6);
    }
  }

  @Test
  void trueDistributionIsTheNormalisedPlantedScore() {
    SyntheticModel m = model(7, 40, 1.0, 0.25);
    double[] p = m.trueDistribution(11);
    assertEquals(1.0, Arrays.stream(p).sum(), 1e-12);
    // independent computation: pop_i * exp(<x, y_i> / T) with pop_i = (i+1)^-1 / H
    float[] x = m.userVector(11);
    double[] w = new double[40];
    double z = 0;
    for (int i = 0; i < 40; i++) {
      float[] y = m.itemVector(i);
      double s = 0;
      for (int k = 0; k < y.length; k++) {
        s += (double) x[k] * y[k];
      }
      w[i] = Math.pow(i + 1, -1.0) * Math.exp(s / 0.25);
      z += w[i];
    }
    for (int i = 0; i < 40; i++) {
      assertEquals(w[i] / z, p[i], 1e-12 * Math.max(1, p[i] * 1e3));
    }
  }

  @Test
  void drawsFollowTheTrueDistribution() {
    SyntheticModel m = model(7, 60, 1.0, 0.25);
    int user = 3;
    double[] p = m.trueDistribution(user);
    int n = 200_000;
    // rejection sampling (the default budget) and the exact-CDF path (budget 0) must both match P(.|u)
    double rejection = chiSquare(counts(m.drawItems(user, n, 123L), 60), p, n);
    double cdf = chiSquare(counts(m.drawItems(user, n, 123L, 0L), 60), p, n);
    double mixed = chiSquare(counts(m.drawItems(user, n, 123L, 5_000L), 60), p, n);
    int df = 59;
    double limit = df + 5 * Math.sqrt(2.0 * df);  // ~5 standard deviations of chi2(59)
    assertTrue(rejection < limit, "rejection sampler chi2 " + rejection);
    assertTrue(cdf < limit, "CDF sampler chi2 " + cdf);
    assertTrue(mixed < limit, "mixed sampler chi2 " + mixed);
    // the test has power: popularity alone is rejected
    double[] pop = new double[60];
    for (int i = 0; i < 60; i++) {
      pop[i] = m.popularity(i);
    }
    assertTrue(chiSquare(counts(m.drawItems(user, n, 123L), 60), pop, n) > 10 * limit);
  }

  @Test
  void smallTemperatureFallsBackAndStaysExact() {
    SyntheticModel m = model(5, 80, 0.8, 0.05);
    double[] p = m.trueDistribution(9);
    int n = 100_000;
    double chi2 = chiSquare(counts(m.drawItems(9, n, 99L), 80), p, n);
    assertTrue(chi2 < 79 + 5 * Math.sqrt(158), "chi2 " + chi2);
  }

  @Test
  void marginalItemFrequenciesFollowZipf() {
    for (double exponent : new double[] {1.0, 0.5}) {
      SyntheticModel m = new SyntheticModel(3000, 400, 8, exponent, 0.25, 7, 30);
      // The planted P(.|u) averages to Zipf popularity over users: check it on iid draws. (A user's
      // interactions skip repeats, which flattens the head of the data's own marginal.)
      long[] counts = new long[400];
      long total = 0;
      for (int u = 0; u < 3000; u++) {
        for (int i : m.drawItems(u, 30, 1000L + u)) {
          counts[i]++;
          total++;
        }
      }
      assertEquals(3000 * 30, total);
      // least-squares slope of log frequency on log rank over the 100 most popular items
      double sx = 0, sy = 0, sxx = 0, sxy = 0;
      int k = 100;
      for (int i = 0; i < k; i++) {
        double x = Math.log(i + 1);
        double y = Math.log(counts[i]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
      }
      double slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
      assertEquals(-exponent, slope, 0.08, "zipf exponent " + exponent);
    }
  }

  @Test
  void countsAndTimestamps() {
    SyntheticModel m = model(7, 100, 1.0, 0.25);
    long sum = 0;
    for (int u = 0; u < 500; u++) {
      SyntheticModel.UserInteractions ui = m.interactions(u);
      assertTrue(ui.items.length >= 2);
      assertEquals(ui.items.length, ui.timestamps.length);
      assertEquals(ui.items.length, Arrays.stream(ui.items).distinct().count(), "a user repeats an item");
      for (int k = 1; k < ui.timestamps.length; k++) {
        assertTrue(ui.timestamps[k] > ui.timestamps[k - 1]);
      }
      assertTrue(ui.timestamps[0] >= SyntheticModel.START_EPOCH_SECONDS);
      sum += ui.items.length;
    }
    assertEquals(30.0, sum / 500.0, 1.0);  // Poisson(30) mean, sd of the mean 0.25
  }

  private static long[] counts(int[] draws, int items) {
    long[] c = new long[items];
    for (int i : draws) {
      c[i]++;
    }
    return c;
  }

  /** Pearson's statistic; bins with expected count below 5 are pooled into one. */
  private static double chiSquare(long[] observed, double[] p, int n) {
    double stat = 0;
    double pooledExpected = 0;
    long pooledObserved = 0;
    for (int i = 0; i < p.length; i++) {
      double e = p[i] * n;
      if (e < 5) {
        pooledExpected += e;
        pooledObserved += observed[i];
      } else {
        stat += (observed[i] - e) * (observed[i] - e) / e;
      }
    }
    if (pooledExpected > 0) {
      stat += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
    }
    return stat;
  }
}
