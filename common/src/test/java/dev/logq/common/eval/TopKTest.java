package dev.logq.common.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKTest {

  /** Independent reference: sort everything by (score desc, item asc), take the first k. */
  private static int[] bruteForce(float[] scores, int k) {
    List<Integer> items = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      items.add(i);
    }
    items.sort(Comparator.<Integer>comparingDouble(i -> Float.isNaN(scores[i]) ? Double.POSITIVE_INFINITY : -scores[i])
        .thenComparingInt(i -> i));
    return items.subList(0, Math.min(k, items.size())).stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void keepsTheBestWithTiesBrokenByLowerItemIndexWhateverTheOfferOrder() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(60);
      float[] scores = new float[n];
      for (int i = 0; i < n; i++) {
        // Few distinct values so that ties are common.
        scores[i] = rnd.nextInt(5) - 2;
      }
      if (trial % 7 == 0) {
        scores[rnd.nextInt(n)] = Float.NaN;
      }
      int k = 1 + rnd.nextInt(12);
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        order.add(i);
      }
      Collections.shuffle(order, rnd);
      TopK top = new TopK(k);
      for (int i : order) {
        top.offer(scores[i], i);
      }
      assertArrayEquals(bruteForce(scores, k), top.sortedItems(), "trial " + trial);
    }
  }

  @Test
  void mergingPartsEqualsTheWhole() {
    Random rnd = new Random(5);
    float[] scores = new float[500];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (float) Math.round(rnd.nextGaussian() * 4) / 4f;
    }
    TopK merged = new TopK(25);
    for (int start = 0; start < scores.length; start += 77) {
      TopK part = new TopK(25);
      for (int i = start; i < Math.min(scores.length, start + 77); i++) {
        part.offer(scores[i], i);
      }
      merged.merge(part);
    }
    assertArrayEquals(bruteForce(scores, 25), merged.sortedItems());
    float[] sortedScores = merged.sortedScores();
    for (int r = 1; r < sortedScores.length; r++) {
      assertEquals(true, sortedScores[r - 1] >= sortedScores[r]);
    }
  }

  @Test
  void shorterThanCapacityWhenFewCandidates() {
    TopK top = new TopK(10);
    top.offer(1f, 7);
    top.offer(2f, 3);
    assertArrayEquals(new int[] {3, 7}, top.sortedItems());
    assertEquals(2, top.size());
    assertThrows(IllegalArgumentException.class, () -> new TopK(0));
  }
}
