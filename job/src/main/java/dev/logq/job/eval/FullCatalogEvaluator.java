package dev.logq.job.eval;

import static org.apache.spark.sql.functions.array_sort;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.logq.common.data.Interactions;
import dev.logq.common.eval.MetricSums;
import dev.logq.common.eval.PopularityBuckets;
import dev.logq.common.eval.TopK;
import dev.logq.job.eval.ScoreBlocks.Block;
import dev.logq.job.eval.ScoreBlocks.ItemRow;
import dev.logq.job.eval.ScoreBlocks.UserRow;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.Optional;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Full-catalog evaluation: every test user against every item, on the executors.
 *
 * <h2>Inputs</h2>
 * Spark Datasets with these columns (extra columns are ignored):
 * <ul>
 *   <li>user embeddings: {@code user_idx int, embedding array<float>} (array&lt;double&gt; is cast);</li>
 *   <li>item embeddings: {@code item_idx int, embedding array<float>};</li>
 *   <li>test pairs: {@code user_idx, item_idx}; one or several per user (duplicates count once);</li>
 *   <li>training pairs: {@code user_idx, item_idx}, used to filter seen items when
 *       {@link EvalSettings#filterSeen()};</li>
 *   <li>the training count of every item index, for the popularity buckets.</li>
 * </ul>
 *
 * <h2>Data flow (as Spark MLlib's ALS {@code recommendForAll})</h2>
 * <ol>
 *   <li>Test items and (if filtering) seen items are collected per test user with
 *       {@code groupBy(user_idx)}; only the training pairs of test users are shuffled. Both are joined
 *       onto the user embeddings, so every user row carries its own test and seen sets. Users without
 *       test pairs are never scored.</li>
 *   <li>User rows and item rows are each repartitioned (one shuffle of the embeddings) and stacked
 *       into dense row-major blocks of at most {@code userBlockSize} / {@code itemBlockSize} rows.</li>
 *   <li>{@code cartesian} pairs every user partition with every item partition: each task reads one
 *       partition of each (item blocks are cached, so the network carries each item block once per
 *       user partition). Per block pair, {@code Matrices.multiplyTransposed} computes the scores
 *       and a bounded top-K per user keeps the best {@code maxK} unseen items.</li>
 *   <li>{@code aggregateByKey} merges the per-block top-Ks of each user: per user, one top-K of maxK
 *       (index, score) pairs per item partition crosses the network.</li>
 *   <li>The final ranking of each user is joined with their test items into {@link #SUM_PARTITIONS} fixed hash
 *       partitions of the users; each folds its users' metrics into {@link MetricSums} in user order and only
 *       those sums reach the driver, merged in partition order (the same bits on any cluster shape).</li>
 *   <li>{@link #evaluateAndRecommend} keeps the top {@code max(maxK, recommendK)} in the same pass and hands
 *       the top recommendK of each user back with the metrics.</li>
 * </ol>
 * Nothing loops over users on the driver, and no user x item matrix is ever materialised beyond
 * one task's buffer.
 *
 * <h2>Choices that change the numbers</h2>
 * <ul>
 *   <li>Ties in score rank the lower item index first, so the result does not depend on blocking.</li>
 *   <li>With {@code filterSeen}, all of a user's training items are removed from their ranking, so
 *       a test pair whose item the user also has in training cannot be hit; their number is reported
 *       as {@code test_pairs_also_in_train}.</li>
 *   <li>Test users without an embedding are left out of the means (reported as
 *       {@code test_users_without_embedding}); test items without an embedding stay in the
 *       denominators (they cannot be retrieved) and are reported as
 *       {@code test_pairs_item_without_embedding}.</li>
 *   <li>Metric definitions: {@link dev.logq.common.eval.RetrievalMetrics}; buckets and percentiles:
 *       {@link PopularityBuckets}.</li>
 * </ul>
 */
public final class FullCatalogEvaluator {

  public static final String EMBEDDING = "embedding";

  private static final Logger LOG = LoggerFactory.getLogger(FullCatalogEvaluator.class);
  static final String TEST_ITEMS = "test_items";
  static final String SEEN_ITEMS = "seen_items";
  private static final String HAS_ITEM = "has_item";
  private static final String IN_TRAIN = "in_train";

  private final EvalSettings settings;

  public FullCatalogEvaluator(EvalSettings settings) {
    this.settings = settings;
  }

  public EvalSettings settings() {
    return settings;
  }

  /**
   * The per-user metrics are summed in a fixed order: the users in this many fixed hash partitions, each summed in
   * user order, the partitions merged in order. The metrics are then the same bits on any number of executors or
   * cores and whatever the inputs' partitioning (early stopping compares validation metrics; test metrics of
   * local[1], local[2] and a cluster agree to the last bit).
   */
  static final int SUM_PARTITIONS = 16;

  /** An evaluation and the top K of each evaluated user from the same blocked pass ({@link #evaluateAndRecommend}). */
  public record Evaluation(EvalResult result, JavaPairRDD<Integer, TopK> top) {
    /** Drops the cached top K. */
    public void release() {
      if (top != null) {
        top.unpersist(false);
      }
    }
  }

  /**
   * Evaluates the embeddings on the test pairs.
   *
   * @param itemTrainCounts training interactions of each item index; its length is the number of
   *     items known to training, and every item embedding index must be below it
   */
  public EvalResult evaluate(Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings, Dataset<Row> testPairs,
      Dataset<Row> trainPairs, long[] itemTrainCounts) {
    return run(userEmbeddings, itemEmbeddings, testPairs, trainPairs, itemTrainCounts, 0).result();
  }

  /**
   * {@link #evaluate}, and from the same pass over the item blocks the top {@code recommendK} items of every evaluated
   * user (a test user with an embedding), filtered as the evaluation filters them (the user's training items when
   * {@link EvalSettings#filterSeen()}). The blocked pass keeps max(recommendK, max eval K) per user; the metrics read
   * the first max eval K of them, which are exactly what a pass of that K keeps (the order is total), so the metrics
   * do not change. The top K is computed and cached before this returns: {@link Evaluation#release} it when done.
   */
  public Evaluation evaluateAndRecommend(Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings,
      Dataset<Row> testPairs, Dataset<Row> trainPairs, long[] itemTrainCounts, int recommendK) {
    if (recommendK < 1) {
      throw new IllegalArgumentException("recommendK must be >= 1, got " + recommendK);
    }
    return run(userEmbeddings, itemEmbeddings, testPairs, trainPairs, itemTrainCounts, recommendK);
  }

  private Evaluation run(Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings, Dataset<Row> testPairs,
      Dataset<Row> trainPairs, long[] itemTrainCounts, int recommendK) {
    long started = System.nanoTime();
    requireColumns(userEmbeddings, "user embeddings", Interactions.USER_INDEX, EMBEDDING);
    requireColumns(itemEmbeddings, "item embeddings", Interactions.ITEM_INDEX, EMBEDDING);
    requireColumns(testPairs, "test pairs", Interactions.USER_INDEX, Interactions.ITEM_INDEX);
    if (settings.filterSeen() || trainPairs != null) {
      if (trainPairs == null) {
        throw new IllegalArgumentException("eval.filterSeen is true but no training pairs were given");
      }
      requireColumns(trainPairs, "training pairs", Interactions.USER_INDEX, Interactions.ITEM_INDEX);
    }
    SparkSession spark = userEmbeddings.sparkSession();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    PopularityBuckets popularity = new PopularityBuckets(itemTrainCounts, settings.headShare(), settings.torsoShare());

    Dataset<Row> test = intPairs(testPairs).distinct();
    Dataset<Row> testSets = itemSets(test, TEST_ITEMS);
    Dataset<Row> users = embeddings(userEmbeddings, Interactions.USER_INDEX).join(testSets, new String[] {Interactions.USER_INDEX}, "inner")
        .select(Interactions.USER_INDEX, EMBEDDING, TEST_ITEMS);
    Dataset<Row> train = trainPairs == null ? null : intPairs(trainPairs);
    if (settings.filterSeen()) {
      Dataset<Row> seenSets = itemSets(train.join(testSets.select(Interactions.USER_INDEX),
          new String[] {Interactions.USER_INDEX}, "left_semi"), SEEN_ITEMS);
      users = users.join(seenSets, new String[] {Interactions.USER_INDEX}, "left").select(Interactions.USER_INDEX, EMBEDDING, TEST_ITEMS, SEEN_ITEMS);
    }
    boolean withSeen = settings.filterSeen();
    JavaRDD<UserRow> userRows = users.javaRDD().map(row -> toUserRow(row, withSeen))
        .persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<ItemRow> itemRows = embeddings(itemEmbeddings, Interactions.ITEM_INDEX).javaRDD()
        .map(row -> new ItemRow(row.getInt(0), toFloats(row, 1, Interactions.ITEM_INDEX)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // A handful of small jobs check the inputs and count what is left out; the scoring is one job.
      IdStats itemStats = IdStats.of(itemRows.map(ItemRow::id));
      itemStats.requireUnique("item embeddings", Interactions.ITEM_INDEX);
      long numItems = itemStats.rows();
      if (numItems > 0 && (itemStats.min() < 0 || itemStats.max() >= itemTrainCounts.length)) {
        throw new IllegalArgumentException("item embeddings contain item_idx "
            + (itemStats.min() < 0 ? itemStats.min() : itemStats.max())
            + " but the training counts cover item indices 0.." + (itemTrainCounts.length - 1));
      }
      IdStats userStats = IdStats.of(userRows.map(UserRow::id));
      userStats.requireUnique("user embeddings", Interactions.USER_INDEX);
      long evaluatedUsers = userStats.rows();
      Row testCounts = testSets.agg(count(lit(1)), coalesce(sum(size(col(TEST_ITEMS))), lit(0L))).first();
      long testUsers = testCounts.getLong(0);
      long testPairCount = testCounts.getLong(1);
      Dataset<Row> marked = test.join(itemEmbeddings.select(col(Interactions.ITEM_INDEX).cast("int").as(Interactions.ITEM_INDEX)).withColumn(HAS_ITEM, lit(true)),
          new String[] {Interactions.ITEM_INDEX}, "left");
      marked = train == null ? marked.withColumn(IN_TRAIN, lit(null).cast("boolean"))
          : marked.join(train.distinct().withColumn(IN_TRAIN, lit(true)), new String[] {Interactions.USER_INDEX, Interactions.ITEM_INDEX}, "left");
      Row overlap = marked.agg(count(when(col(HAS_ITEM).isNull(), 1)), count(when(col(IN_TRAIN).isNotNull(), 1))).first();
      long pairsItemWithoutEmbedding = overlap.getLong(0);
      long pairsAlsoInTrain = overlap.getLong(1);

      int maxK = settings.maxK();
      int k = Math.max(maxK, recommendK);
      Ranking ranking = rankedItems(jsc, userRows, itemRows, evaluatedUsers, numItems, k);
      // With recommendations the top K is cached: the metrics job computes it, the caller writes it.
      JavaPairRDD<Integer, TopK> top = recommendK > 0 ? ranking.top().persist(StorageLevel.MEMORY_AND_DISK())
          : ranking.top();
      Broadcast<PopularityBuckets> pop = jsc.broadcast(popularity);
      MetricSums sums;
      JavaPairRDD<Integer, TopK> recommendations = null;
      try {
        int[] ks = settings.ksArray();
        JavaPairRDD<Integer, int[]> ranked = top.mapValues(t -> firstOf(t.sortedItems(), maxK));
        JavaPairRDD<Integer, int[]> userTests = userRows.mapToPair(u -> new Tuple2<>(u.id(), u.test()));
        // Users in SUM_PARTITIONS fixed hash partitions, each summed in user order, merged in partition order:
        // the same bits whatever the cluster's parallelism and the inputs' partitioning.
        List<MetricSums> parts = userTests.leftOuterJoin(ranked, new HashPartitioner(SUM_PARTITIONS))
            .mapPartitions(it -> {
              List<Tuple2<Integer, Tuple2<int[], Optional<int[]>>>> entries = new ArrayList<>();
              it.forEachRemaining(entries::add);
              entries.sort((a, b) -> Integer.compare(a._1(), b._1()));
              MetricSums acc = new MetricSums(ks);
              for (Tuple2<Integer, Tuple2<int[], Optional<int[]>>> entry : entries) {
                Optional<int[]> list = entry._2()._2();
                acc.addUser(list.isPresent() ? list.get() : new int[0], entry._2()._1(), pop.value());
              }
              return List.of(acc).iterator();
            }).collect();
        sums = new MetricSums(ks);
        for (MetricSums part : parts) {
          sums = sums.merge(part);
        }
        if (recommendK > 0) {
          if (recommendK < k) {
            recommendations = top.mapValues(t -> new TopK(recommendK).merge(t)).persist(StorageLevel.MEMORY_AND_DISK());
            recommendations.count();
            top.unpersist(false);
          } else {
            recommendations = top;
          }
        }
      } catch (RuntimeException | Error e) {
        top.unpersist(false);
        throw e;
      } finally {
        ranking.release();
        pop.destroy();
      }

      Map<String, Long> counts = new LinkedHashMap<>();
      counts.put("items", numItems);
      counts.put("test_users", testUsers);
      counts.put("evaluated_users", sums.users());
      counts.put("test_users_without_embedding", testUsers - evaluatedUsers);
      counts.put("test_pairs", testPairCount);
      counts.put("evaluated_test_pairs", sums.testPairs());
      counts.put("test_pairs_item_without_embedding", pairsItemWithoutEmbedding);
      counts.put("test_pairs_also_in_train", pairsAlsoInTrain);
      for (PopularityBuckets.Bucket b : PopularityBuckets.Bucket.values()) {
        counts.put("items_" + b.label(), (long) popularity.bucketSize(b));
        counts.put("train_interactions_" + b.label(), popularity.bucketInteractions(b));
        counts.put("test_pairs_" + b.label(), sums.bucketPairs(b));
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      EvalResult result = new EvalResult(sums.means(), counts, seconds);
      LOG.info("Evaluated {} of {} test users against {} items in {} s (K = {}, filterSeen = {}): {}",
          sums.users(), testUsers, numItems, String.format("%.1f", seconds), settings.ks(), settings.filterSeen(),
          headline(result.metrics()));
      if (testUsers > evaluatedUsers) {
        LOG.warn("{} test users have no embedding and are left out of the metrics", testUsers - evaluatedUsers);
      }
      if (pairsItemWithoutEmbedding > 0) {
        LOG.warn("{} test pairs name an item without an embedding; they count as misses", pairsItemWithoutEmbedding);
      }
      if (settings.filterSeen() && pairsAlsoInTrain > 0) {
        LOG.warn("{} test pairs are also training pairs; with eval.filterSeen they cannot be hit", pairsAlsoInTrain);
      }
      return new Evaluation(result, recommendations);
    } finally {
      userRows.unpersist(false);
      itemRows.unpersist(false);
    }
  }

  /**
   * The top {@code k} items for every user of {@code userEmbeddings}, best first, with each user's
   * training items removed when {@code trainPairs} is given. Same blocked algorithm as
   * {@link #evaluate}. The result (user_idx -> item indices) is computed and cached before this
   * returns; call {@code unpersist()} on it when done.
   */
  public JavaPairRDD<Integer, int[]> recommend(Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings,
      Dataset<Row> trainPairs, int k) {
    JavaPairRDD<Integer, TopK> top = recommendScored(userEmbeddings, itemEmbeddings, trainPairs, k);
    JavaPairRDD<Integer, int[]> ranked = top.mapValues(TopK::sortedItems).persist(StorageLevel.MEMORY_AND_DISK());
    ranked.count();
    top.unpersist(false);
    return ranked;
  }

  /**
   * {@link #recommend} with the scores: each user's {@link TopK} ({@code sortedItems()} best first and
   * {@code sortedScores()} aligned with them), computed and cached before this returns; unpersist when done.
   */
  public JavaPairRDD<Integer, TopK> recommendScored(Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings,
      Dataset<Row> trainPairs, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    requireColumns(userEmbeddings, "user embeddings", Interactions.USER_INDEX, EMBEDDING);
    requireColumns(itemEmbeddings, "item embeddings", Interactions.ITEM_INDEX, EMBEDDING);
    Dataset<Row> users = embeddings(userEmbeddings, Interactions.USER_INDEX);
    boolean withSeen = trainPairs != null;
    if (withSeen) {
      requireColumns(trainPairs, "training pairs", Interactions.USER_INDEX, Interactions.ITEM_INDEX);
      Dataset<Row> seenSets = trainPairs.select(col(Interactions.USER_INDEX).cast("int").as(Interactions.USER_INDEX), col(Interactions.ITEM_INDEX).cast("int").as(Interactions.ITEM_INDEX))
          .na().drop().groupBy(Interactions.USER_INDEX).agg(array_sort(collect_set(col(Interactions.ITEM_INDEX))).as(SEEN_ITEMS));
      users = users.join(seenSets, new String[] {Interactions.USER_INDEX}, "left").select(Interactions.USER_INDEX, EMBEDDING, SEEN_ITEMS);
    }
    JavaRDD<UserRow> userRows = users.javaRDD().map(row -> new UserRow(row.getInt(0), toFloats(row, 1, Interactions.USER_INDEX),
        new int[0], withSeen ? toInts(row, 2) : new int[0]));
    JavaRDD<ItemRow> itemRows = embeddings(itemEmbeddings, Interactions.ITEM_INDEX).javaRDD()
        .map(row -> new ItemRow(row.getInt(0), toFloats(row, 1, Interactions.ITEM_INDEX)));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(userEmbeddings.sparkSession().sparkContext());
    Ranking ranking = rankedItems(jsc, userRows, itemRows, userRows.count(), itemRows.count(), k);
    try {
      JavaPairRDD<Integer, TopK> top = ranking.top().persist(StorageLevel.MEMORY_AND_DISK());
      top.count();
      return top;
    } finally {
      ranking.release();
    }
  }

  /** Steps 2 to 4 of the data flow: blocks, cartesian, per-pair top-K, merge per user. */
  private Ranking rankedItems(JavaSparkContext jsc, JavaRDD<UserRow> userRows,
      JavaRDD<ItemRow> itemRows, long numUsers, long numItems, int k) {
    int parallelism = Math.max(1, jsc.defaultParallelism());
    long userBlocks = ceilDiv(numUsers, settings.userBlockSize());
    long itemBlocks = ceilDiv(numItems, settings.itemBlockSize());
    // Tasks = user partitions x item partitions: aim at about 2 x parallelism, never more
    // partitions than blocks on either side.
    int userParts = (int) Math.max(1, Math.min(userBlocks, parallelism));
    int itemParts = (int) Math.max(1, Math.min(itemBlocks, Math.max(1, 2L * parallelism / userParts)));
    int userBlockSize = settings.userBlockSize();
    int itemBlockSize = settings.itemBlockSize();
    JavaRDD<Block> ub = userRows.repartition(userParts)
        .mapPartitions(rows -> ScoreBlocks.userBlocks(rows, userBlockSize))
        .persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<Block> ib = itemRows.repartition(itemParts)
        .mapPartitions(rows -> ScoreBlocks.itemBlocks(rows, itemBlockSize))
        .persist(StorageLevel.MEMORY_AND_DISK());
    LOG.info("Scoring {} users x {} items: {} x {} partitions, blocks of at most {} users x {} items, top {}",
        numUsers, numItems, userParts, itemParts, userBlockSize, itemBlockSize, k);
    JavaPairRDD<Integer, TopK> perPair = ub.cartesian(ib)
        .flatMapToPair(pair -> ScoreBlocks.topKOfPair(pair._1(), pair._2(), k));
    JavaPairRDD<Integer, TopK> top = perPair
        .aggregateByKey(new TopK(k), Math.max(userParts, parallelism), TopK::merge, TopK::merge);
    return new Ranking(top, List.of(ub, ib));
  }

  /** A lazy ranking and the cached blocks it reads; release them once the ranking has been used. */
  private record Ranking(JavaPairRDD<Integer, TopK> top, List<JavaRDD<Block>> cachedBlocks) {
    void release() {
      cachedBlocks.forEach(rdd -> rdd.unpersist(false));
    }
  }

  /** Rows, distinct ids and the id range of one side, from one shuffle. */
  private record IdStats(long rows, long distinct, int min, int max) {
    static IdStats of(JavaRDD<Integer> ids) {
      long[] agg = ids.mapToPair(id -> new Tuple2<>(id, 1L)).reduceByKey(Long::sum)
          .aggregate(new long[] {0, 0, Integer.MAX_VALUE, Integer.MIN_VALUE},
              (a, e) -> new long[] {a[0] + e._2(), a[1] + 1, Math.min(a[2], e._1()), Math.max(a[3], e._1())},
              (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], Math.min(a[2], b[2]), Math.max(a[3], b[3])});
      return new IdStats(agg[0], agg[1], (int) agg[2], (int) agg[3]);
    }

    void requireUnique(String what, String column) {
      if (distinct != rows) {
        throw new IllegalArgumentException(what + " hold " + rows + " rows but only " + distinct + " distinct "
            + column + " values; each " + column + " must have exactly one embedding");
      }
    }
  }

  static int[] firstOf(int[] items, int n) {
    return items.length <= n ? items : Arrays.copyOf(items, n);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** (idx int, embedding array<float>) with nulls rejected later, per row, with the id. */
  private static Dataset<Row> embeddings(Dataset<Row> ds, String idx) {
    return ds.select(col(idx).cast("int").as(idx), col(EMBEDDING).cast("array<float>").as(EMBEDDING));
  }

  private static UserRow toUserRow(Row row, boolean withSeen) {
    int id = row.getInt(0);
    return new UserRow(id, toFloats(row, 1, Interactions.USER_INDEX), toInts(row, 2), withSeen ? toInts(row, 3) : new int[0]);
  }

  static float[] toFloats(Row row, int pos, String idColumn) {
    if (row.isNullAt(0)) {
      throw new IllegalArgumentException("an embedding row has a null " + idColumn);
    }
    if (row.isNullAt(pos)) {
      throw new IllegalArgumentException("embedding of " + idColumn + " " + row.getInt(0) + " is null");
    }
    List<Float> list = row.getList(pos);
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) {
      Float v = list.get(i);
      if (v == null) {
        throw new IllegalArgumentException("embedding of " + idColumn + " " + row.getInt(0) + " has a null at position " + i);
      }
      out[i] = v;
    }
    if (out.length == 0) {
      throw new IllegalArgumentException("embedding of " + idColumn + " " + row.getInt(0) + " is empty");
    }
    return out;
  }

  /** (user_idx int, item_idx int) of {@code pairs}, rows with a null index dropped. */
  static Dataset<Row> intPairs(Dataset<Row> pairs) {
    return pairs.select(col(Interactions.USER_INDEX).cast("int").as(Interactions.USER_INDEX),
        col(Interactions.ITEM_INDEX).cast("int").as(Interactions.ITEM_INDEX)).na().drop();
  }

  /** user_idx and, as column {@code name}, the user's distinct item_idx of {@code pairs}, ascending. */
  static Dataset<Row> itemSets(Dataset<Row> pairs, String name) {
    return pairs.groupBy(Interactions.USER_INDEX).agg(array_sort(collect_set(col(Interactions.ITEM_INDEX))).as(name));
  }

  static int[] toInts(Row row, int pos) {
    if (row.isNullAt(pos)) {
      return new int[0];
    }
    List<Integer> list = row.getList(pos);
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    // array_sort already sorted them; sorting again is cheap and keeps the merge walk safe.
    Arrays.sort(out);
    return out;
  }

  private static void requireColumns(Dataset<Row> ds, String what, String... columns) {
    List<String> have = Arrays.asList(ds.columns());
    for (String c : columns) {
      if (!have.contains(c)) {
        throw new IllegalArgumentException(what + " lack the column '" + c + "' (columns: " + have + ")");
      }
    }
  }

  private String headline(Map<String, Double> m) {
    StringBuilder sb = new StringBuilder();
    for (int k : settings.ks()) {
      sb.append(String.format("recall@%d=%.4f ndcg@%d=%.4f ", k, m.get("recall@" + k), k, m.get("ndcg@" + k)));
    }
    return sb.append(String.format("mrr=%.4f", m.get("mrr"))).toString();
  }
}
