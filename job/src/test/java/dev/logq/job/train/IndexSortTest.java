package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The primitive index sort against the JDK's stable sort of boxed indices. */
class IndexSortTest {

  @Test
  void ordersLikeTheJdksStableSortIncludingTies() {
    Random random = new Random(3);
    for (int n : new int[] {0, 1, 2, 31, 32, 33, 1000, 100_003}) {
      int[] keys = random.ints(n, 0, Math.max(1, n / 10)).toArray(); // many ties: stability shows
      int[] expected = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> keys[i]))
          .mapToInt(Integer::intValue).toArray();
      assertArrayEquals(expected, IndexSort.stableOrder(n, (a, b) -> Integer.compare(keys[a], keys[b])), "n=" + n);
    }
  }
}
