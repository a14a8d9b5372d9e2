package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Column counts (Logits, "Column counts") are the same loss on fewer columns: every in-batch loss must give,
 * on the deduplicated logits, the loss of the logits with one column per row and, per distinct item, the sum
 * of its copies' gradients.
 */
class ColumnCountsTest {

  private static final int ITEMS = 12;

  @ParameterizedTest
  @ValueSource(strings = {"none", "standard", "standard-negatives-only", "refined"})
  void deduplicatedColumnsGiveTheLossAndSummedGradientOfTheCopies(String name) {
    Loss loss = switch (name) {
      case "none" -> new NoCorrection();
      case "standard" -> new StandardLogQ(true);
      case "standard-negatives-only" -> new StandardLogQ(false);
      default -> new RefinedLogQ();
    };
    SplittableRandom rng = new SplittableRandom(17);
    double[] logQ = new double[ITEMS];
    double z = 0;
    for (int i = 0; i < ITEMS; i++) {
      z += 1.0 / (i + 1);
    }
    for (int i = 0; i < ITEMS; i++) {
      logQ[i] = Math.log(1.0 / (i + 1) / z);
    }
    for (int trial = 0; trial < 20; trial++) {
      int n = 3 + rng.nextInt(30);
      int[] items = new int[n];
      for (int b = 0; b < n; b++) {
        // Zipf-like: small ids repeat often, so most batches have duplicates and accidental hits.
        items[b] = (int) Math.min(ITEMS - 1, Math.floor(Math.exp(rng.nextDouble() * Math.log(ITEMS + 1))) - 1);
      }
      double[][] userVec = new double[n][3];
      double[][] itemVec = new double[ITEMS][3];
      for (double[] v : userVec) {
        for (int k = 0; k < 3; k++) {
          v[k] = rng.nextGaussian();
        }
      }
      for (double[] v : itemVec) {
        for (int k = 0; k < 3; k++) {
          v[k] = rng.nextGaussian();
        }
      }

      // One column per row: column j is row j's positive.
      float[] scores = new float[n * n];
      int[] positive = new int[n];
      for (int b = 0; b < n; b++) {
        positive[b] = b;
        for (int j = 0; j < n; j++) {
          scores[b * n + j] = (float) dot(userVec[b], itemVec[items[j]]);
        }
      }
      Logits expanded = new Logits(Logits.Layout.SHARED, n, n, scores, positive, items, n, logQ, ITEMS);
      float[] gradExpanded = new float[n * n];
      double expected = loss.lossAndGradient(expanded, gradExpanded);

      // Each distinct item once (first appearance order), with counts.
      List<Integer> distinct = new ArrayList<>();
      int[] column = new int[n];
      for (int b = 0; b < n; b++) {
        int c = distinct.indexOf(items[b]);
        if (c < 0) {
          c = distinct.size();
          distinct.add(items[b]);
        }
        column[b] = c;
      }
      int m = distinct.size();
      int[] colItem = distinct.stream().mapToInt(Integer::intValue).toArray();
      int[] count = new int[m];
      for (int b = 0; b < n; b++) {
        count[column[b]]++;
      }
      float[] dedupScores = new float[n * m];
      for (int b = 0; b < n; b++) {
        for (int c = 0; c < m; c++) {
          dedupScores[b * m + c] = (float) dot(userVec[b], itemVec[colItem[c]]);
        }
      }
      Logits dedup = new Logits(Logits.Layout.SHARED, n, m, dedupScores, column, colItem, m, logQ, ITEMS, count);
      float[] gradDedup = new float[n * m];
      double actual = loss.lossAndGradient(dedup, gradDedup);

      assertEquals(expected, actual, 1e-6 * Math.max(1, Math.abs(expected)), name + " loss, trial " + trial);
      for (int b = 0; b < n; b++) {
        double[] summed = new double[m];
        for (int j = 0; j < n; j++) {
          summed[column[j]] += gradExpanded[b * n + j];
        }
        for (int c = 0; c < m; c++) {
          assertEquals(summed[c], gradDedup[b * m + c], 1e-6,
              name + " gradient of row " + b + ", item " + colItem[c] + " (" + count[c] + " copies), trial " + trial);
        }
      }
    }
  }

  @Test
  void countsAreOnlyAcceptedForInBatchColumns() {
    float[] scores = new float[4];
    double[] logQ = {Math.log(0.5), Math.log(0.5)};
    IllegalArgumentException withUniform = assertThrows(IllegalArgumentException.class,
        () -> new Logits(Logits.Layout.SHARED, 2, 2, scores, new int[] {0, 0}, new int[] {0, 1}, 1, logQ, 2,
            new int[] {2, 1}));
    assertEquals(true, withUniform.getMessage().contains("only in-batch columns"), withUniform.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> new Logits(Logits.Layout.SHARED, 2, 2, scores, new int[] {0, 1}, new int[] {0, 1}, 2, logQ, 2,
            new int[] {1, 0}));
    assertEquals(true, zero.getMessage().contains("columnCount[1] = 0"), zero.getMessage());
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += a[k] * b[k];
    }
    return s;
  }
}
