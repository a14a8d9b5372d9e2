package dev.logq.common.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DistributionDistanceTest {

  private static final double[] P = {0.5, 0.25, 0.25};

  @Test
  void zeroWhenTheModelMatches() {
    // softmax(2 * s) = P when s = log(P) / 2, shifted by any constant.
    float[] scores = new float[P.length];
    for (int i = 0; i < P.length; i++) {
      scores[i] = (float) (Math.log(P[i]) / 2 + 3);
    }
    DistributionDistance.Distance d = DistributionDistance.between(0, P, scores, 2.0);
    assertEquals(0.0, d.kl(), 1e-6);
    assertEquals(0.0, d.totalVariation(), 1e-6);
  }

  @Test
  void uniformModelAgainstASkewedTruth() {
    DistributionDistance.Distance d = DistributionDistance.between(0, P, new float[] {1, 1, 1}, 1.0);
    double kl = 0.5 * Math.log(0.5 * 3) + 2 * 0.25 * Math.log(0.25 * 3);
    assertEquals(kl, d.kl(), 1e-12);
    assertEquals(1.0 / 6, d.totalVariation(), 1e-12);
  }

  @Test
  void zeroTrueProbabilitiesContributeNothingToKl() {
    double[] p = {1.0, 0.0};
    DistributionDistance.Distance d = DistributionDistance.between(0, p, new float[] {0, 0}, 1.0);
    assertEquals(Math.log(2), d.kl(), 1e-12);
    assertEquals(0.5, d.totalVariation(), 1e-12);
    assertTrue(Double.isFinite(d.kl()));
  }

  @Test
  void invalidTruthIsRejectedWithTheUser() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DistributionDistance.between(42, new double[] {0.5, 0.4}, new float[] {0, 0}, 1.0));
    assertTrue(e.getMessage().contains("user 42"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> DistributionDistance.between(1, new double[] {0.5, 0.5}, new float[] {0, 0, 0}, 1.0));
    assertThrows(IllegalArgumentException.class,
        () -> DistributionDistance.between(1, new double[] {1.5, -0.5}, new float[] {0, 0}, 1.0));
  }
}
