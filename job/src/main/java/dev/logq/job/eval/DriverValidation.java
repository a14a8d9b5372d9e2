package dev.logq.job.eval;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.data.Interactions;
import dev.logq.common.eval.MetricSums;
import dev.logq.common.eval.PopularityBuckets;
import dev.logq.common.eval.TopK;
import dev.logq.job.eval.ScoreBlocks.Block;
import dev.logq.job.train.UserHistory;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * The per-epoch validation of a small validation sample, scored on the driver: the sampled users' validation items,
 * fit (seen) items and history are collected once, and every epoch then costs only the towers' forward pass and
 * the scoring here, no Spark job (a distributed validation is about ten small jobs per epoch, seconds each on a
 * laptop). The metrics are the bits {@link FullCatalogEvaluator} gives for the same embeddings: the same
 * {@link ScoreBlocks#topKOfPair} ranking (a total order, so the blocking does not matter) and the same fixed order
 * of the sums ({@link FullCatalogEvaluator#SUM_PARTITIONS} hash partitions of the user index, each summed in user
 * order, merged in partition order). Samples beyond {@link #fits} stay distributed.
 */
public final class DriverValidation {

  /** Scoring work (users x items x dimension multiply-adds) up to which the driver scores: seconds of one core. */
  static final long MAX_MULTIPLY_ADDS = 1L << 32;
  /** Sampled users up to which their items are collected to the driver. */
  static final long MAX_USERS = 100_000;

  private final int[] users;
  private final int[][] relevant;
  private final int[][] seen;
  private final int[] histories;

  private DriverValidation(int[] users, int[][] relevant, int[][] seen, int[] histories) {
    this.users = users;
    this.relevant = relevant;
    this.seen = seen;
    this.histories = histories;
  }

  /** Whether {@code users} validation users against {@code items} items of dimension {@code dim} are scored here. */
  public static boolean fits(long users, long items, int dim) {
    return users <= MAX_USERS && users * items * dim <= MAX_MULTIPLY_ADDS;
  }

  /**
   * Collects, in one Spark job, every validation user of {@code validationPairs} (user_idx, item_idx) with their
   * distinct validation items, their distinct items of {@code fitRows} (user_idx, item_idx, ts: what the ranking
   * skips) and, for {@code historyLength} > 0, their last L fit items ({@link UserHistory#latest}, as the
   * executors embed them).
   */
  public static DriverValidation collect(Dataset<Row> validationPairs, Dataset<Row> fitRows, int historyLength) {
    Dataset<Row> testSets = FullCatalogEvaluator.itemSets(FullCatalogEvaluator.intPairs(validationPairs).distinct(),
        FullCatalogEvaluator.TEST_ITEMS);
    Dataset<Row> seenSets = FullCatalogEvaluator.itemSets(FullCatalogEvaluator.intPairs(fitRows)
        .join(testSets.select(Interactions.USER_INDEX), new String[] {Interactions.USER_INDEX}, "left_semi"),
        FullCatalogEvaluator.SEEN_ITEMS);
    Dataset<Row> all = testSets.join(seenSets, new String[] {Interactions.USER_INDEX}, "left");
    if (historyLength > 0) {
      Dataset<Row> fit = fitRows.select(col(Interactions.USER_INDEX).cast("int").as(Interactions.USER_INDEX),
          col(Interactions.ITEM_INDEX).cast("int").as(Interactions.ITEM_INDEX), col(Interactions.TIME));
      all = all.join(UserHistory.latest(fit, testSets.select(Interactions.USER_INDEX), historyLength),
          new String[] {Interactions.USER_INDEX}, "left");
    }
    List<Row> rows = new java.util.ArrayList<>(all.collectAsList());
    rows.sort(Comparator.comparingInt(r -> r.getInt(0)));
    int n = rows.size();
    int[] users = new int[n];
    int[][] relevant = new int[n][];
    int[][] seen = new int[n][];
    int[] histories = historyLength > 0 ? new int[n * historyLength] : null;
    for (int u = 0; u < n; u++) {
      Row r = rows.get(u);
      users[u] = r.getInt(0);
      relevant[u] = FullCatalogEvaluator.toInts(r, 1);
      seen[u] = FullCatalogEvaluator.toInts(r, 2);
      if (historyLength > 0) {
        UserHistory.fill(r.isNullAt(3) ? List.of() : r.getList(3), histories, u * historyLength, historyLength);
      }
    }
    return new DriverValidation(users, relevant, seen, histories);
  }

  /** The validation users, ascending. */
  public int[] users() {
    return users.clone();
  }

  /** Their histories ({@link UserHistory#fill} layout, users() order), or null without a history. */
  public int[] histories() {
    return histories == null ? null : histories.clone();
  }

  /**
   * The metrics of {@code settings} (means over the validation users) for the user embeddings {@code userVectors}
   * (users() order, row-major) against the embeddings of items 0 .. numItems-1 ({@code itemVectors}).
   */
  public Map<String, Double> evaluate(float[] userVectors, float[] itemVectors, int dim, EvalSettings settings,
                                      long[] itemTrainCounts) {
    int numItems = itemVectors.length / dim;
    int[] itemIds = new int[numItems];
    for (int i = 0; i < numItems; i++) {
      itemIds[i] = i;
    }
    int maxK = settings.maxK();
    Iterator<Tuple2<Integer, TopK>> tops = ScoreBlocks.topKOfPair(new Block(users, userVectors, dim, seen),
        new Block(itemIds, itemVectors, dim, null), maxK);
    int[][] ranked = new int[users.length][];
    for (int u = 0; tops.hasNext(); u++) {
      ranked[u] = FullCatalogEvaluator.firstOf(tops.next()._2().sortedItems(), maxK);
    }
    PopularityBuckets popularity = new PopularityBuckets(itemTrainCounts, settings.headShare(), settings.torsoShare());
    int[] ks = settings.ksArray();
    // FullCatalogEvaluator's order: each hash partition's users in ascending order (users[] is), partitions merged
    // in order, so the sums round exactly as there.
    MetricSums[] parts = new MetricSums[FullCatalogEvaluator.SUM_PARTITIONS];
    for (int p = 0; p < parts.length; p++) {
      parts[p] = new MetricSums(ks);
    }
    for (int u = 0; u < users.length; u++) {
      parts[Math.floorMod(Integer.hashCode(users[u]), parts.length)].addUser(ranked[u], relevant[u], popularity);
    }
    MetricSums sums = new MetricSums(ks);
    for (MetricSums part : parts) {
      sums = sums.merge(part);
    }
    return sums.means();
  }
}
