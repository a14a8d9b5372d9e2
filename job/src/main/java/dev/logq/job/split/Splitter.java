package dev.logq.job.split;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.logq.common.config.JobConfig;
import dev.logq.job.split.SplitSettings.SplitMethod;
import dev.logq.common.data.Interactions;
import dev.logq.common.error.DataException;
import dev.logq.common.model.tower.UserTowers;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Train/test splits of the normalised interactions ({@link Interactions}).
 *
 * <ul>
 *   <li>leave-last-out: each user's latest interaction goes to test, for users with at least two (a user
 *       with one keeps it in train). "Latest" orders by timestamp, then item id, then weight, all
 *       descending, so ties are broken the same way on every run (rows equal in all three are
 *       interchangeable).
 *   <li>temporal: one global cut: test holds the interactions with timestamp &gt; t*, where t* is the
 *       (1 - testFraction) quantile of the timestamps (Spark's approxQuantile, relative rank error 1e-4,
 *       computed in double: exact for timestamps below 2^53, e.g. epoch seconds, millis or micros).
 *       Interactions at the same timestamp stay on one side, so the realised share can differ from
 *       testFraction when many share the cut's timestamp; the result reports it.
 *   <li>random: an interaction goes to test when a 64-bit hash of (seed, user, item, timestamp, weight)
 *       maps below testFraction: the same rows land in test whatever the partitioning or the number of
 *       executors (identical rows land together).
 *   <li>given: the test set is a separate input.
 * </ul>
 *
 * Then the test set is made evaluable against the training catalog: test rows whose item does not occur
 * in train are removed (no embedding exists for them), and test rows of users absent from train are
 * removed for user towers that cannot embed unseen users (the id tower) and kept for those that can
 * (the history tower, from the user's history). Both are counted in {@link SplitResult}.
 */
public final class Splitter {
  private static final Logger LOG = LoggerFactory.getLogger(Splitter.class);

  private static final String IS_TEST = "_is_test";
  /** Relative rank error of the temporal cut's quantile. */
  static final double QUANTILE_ERROR = 1e-4;

  private Splitter() {
  }

  /**
   * The whole preparation: min-count filter, then the configured split, then the cold-start rules.
   *
   * @param interactions valid interactions (from InteractionReader or SyntheticData)
   * @param givenTest the test interactions for split.method = given, else null
   */
  public static SplitResult prepare(Dataset<Row> interactions, Dataset<Row> givenTest, JobConfig config) {
    SplitSettings s = SplitSettings.of(config);
    boolean keepColdUsers = UserTowers.fromConfig(config.model()).embedsUnseenUsers();
    MinCountFilter.Result filtered = MinCountFilter.apply(interactions, s.minUserCount(), s.minItemCount());
    if (filtered.rowsAfter() == 0) {
      throw new DataException(null, "no interactions left after the min-count filter (split.minUserCount = " + s.minUserCount()
          + ", split.minItemCount = " + s.minItemCount() + "; " + filtered.rowsBefore() + " before)");
    }
    if (s.method() == SplitMethod.GIVEN) {
      if (givenTest == null) {
        throw new IllegalArgumentException("split.method = given needs the test interactions");
      }
      return finish(filtered.data(), givenTest, null, s.method(), keepColdUsers, filtered, null);
    }
    return split(filtered.data(), s, keepColdUsers, filtered);
  }

  /**
   * Splits {@code data} (already filtered) with a method other than given, then applies the cold-start rules.
   *
   * @param keepColdUsers keep test rows of users absent from train (the user tower embeds them from their
   *     history, {@code UserTower#embedsUnseenUsers}); otherwise they are removed and counted
   */
  public static SplitResult split(Dataset<Row> data, SplitSettings s, boolean keepColdUsers,
                                  MinCountFilter.Result filter) {
    Dataset<Row> tagged;
    Long cut = null;
    switch (s.method()) {
      case LEAVE_LAST_OUT:
        tagged = leaveLastOut(data);
        break;
      case TEMPORAL:
        cut = temporalCut(data, s.testFraction());
        tagged = data.withColumn(IS_TEST, col(Interactions.TIMESTAMP).gt(cut));
        break;
      case RANDOM:
        tagged = data.withColumn(IS_TEST, randomUnit(s.seed()).lt(s.testFraction()));
        break;
      default:
        throw new IllegalArgumentException("split.method = " + s.method().configName() + " needs the given test set");
    }
    Column[] columns = MinCountFilter.columnsOf(data);
    tagged = tagged.persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> train = tagged.filter(col(IS_TEST).unary_$bang()).select(columns);
    Dataset<Row> test = tagged.filter(col(IS_TEST)).select(columns);
    return finish(train, test, tagged, s.method(), keepColdUsers, filter, cut);
  }

  /** Tags each user's latest interaction (for users with at least two) as test. */
  static Dataset<Row> leaveLastOut(Dataset<Row> data) {
    WindowSpec latestFirst = Window.partitionBy(Interactions.USER)
        .orderBy(col(Interactions.TIMESTAMP).desc(), col(Interactions.ITEM).desc(), col(Interactions.WEIGHT).desc());
    WindowSpec byUser = Window.partitionBy(Interactions.USER);
    return data.withColumn("_rank", row_number().over(latestFirst))
        .withColumn("_n", count(lit(1)).over(byUser))
        .withColumn(IS_TEST, col("_rank").equalTo(1).and(col("_n").geq(2)))
        .drop("_rank", "_n");
  }

  /** t*: the (1 - testFraction) quantile of the timestamps; test is timestamp &gt; t*. */
  static long temporalCut(Dataset<Row> data, double testFraction) {
    double[] q = data.stat().approxQuantile(Interactions.TIMESTAMP, new double[] {1 - testFraction}, QUANTILE_ERROR);
    if (q.length == 0) {
      throw new DataException(null, "temporal split: no interactions to split");
    }
    return (long) q[0];
  }

  /** A uniform number in [0, 1) from the hash of (seed, row). */
  static Column randomUnit(long seed) {
    Column h = xxhash64(lit(seed), col(Interactions.USER), col(Interactions.ITEM), col(Interactions.TIMESTAMP),
        col(Interactions.WEIGHT));
    return h.bitwiseAND(lit(Long.MAX_VALUE)).cast("double").divide(lit(Math.pow(2, 63)));
  }

  private static SplitResult finish(Dataset<Row> train, Dataset<Row> test, Dataset<Row> cachedTagged, SplitMethod method,
      boolean keepColdUsers, MinCountFilter.Result filter, Long cut) {
    Column[] columns = MinCountFilter.columnsOf(test);
    Dataset<Row> knownItems = train.select(col(Interactions.ITEM).as("_known_item")).distinct();
    Dataset<Row> knownUsers = train.select(col(Interactions.USER).as("_known_user")).distinct();
    Dataset<Row> flagged = test
        .join(knownItems, col(Interactions.ITEM).equalTo(col("_known_item")), "left")
        .join(knownUsers, col(Interactions.USER).equalTo(col("_known_user")), "left")
        .withColumn("_cold_item", col("_known_item").isNull())
        .withColumn("_cold_user", col("_known_user").isNull())
        .drop("_known_item", "_known_user")
        .persist(StorageLevel.MEMORY_AND_DISK());
    Row stats = flagged.agg(
        count(lit(1)),
        count(when(col("_cold_item"), lit(1))),
        count(when(col("_cold_item").unary_$bang().and(col("_cold_user")), lit(1))),
        countDistinct(when(col("_cold_user"), col(Interactions.USER)))).first();
    long trainRows = train.count();
    long testBefore = stats.getLong(0);
    long coldItemRows = stats.getLong(1);
    long coldUserRows = stats.getLong(2);
    long coldUsers = stats.getLong(3);
    Column keep = col("_cold_item").unary_$bang();
    if (!keepColdUsers) {
      keep = keep.and(col("_cold_user").unary_$bang());
    }
    Dataset<Row> evaluable = flagged.filter(keep).select(columns);
    long testRows = testBefore - coldItemRows - (keepColdUsers ? 0 : coldUserRows);
    if (trainRows == 0) {
      throw new DataException(null, method.configName() + " split left no training interactions");
    }
    if (testRows == 0) {
      throw new DataException(null, method.configName() + " split left no test interactions to evaluate"
          + (testBefore > 0 ? " (all " + testBefore + " are of items or users unseen in training)" : "")
          + (cut != null ? "; the temporal cut is at timestamp " + cut : ""));
    }
    LOG.info("{} split: {} train, {} test interactions ({} test rows of unseen items removed, {} of unseen users {})",
        method.configName(), trainRows, testRows, coldItemRows, coldUserRows, keepColdUsers ? "kept" : "removed");
    List<Dataset<Row>> cached = new ArrayList<>();
    cached.add(flagged);
    if (cachedTagged != null) {
      cached.add(cachedTagged);
    }
    return new SplitResult(method, train, evaluable, trainRows, testRows, testBefore, coldItemRows, coldUserRows,
        coldUsers, keepColdUsers, cut, filter, cached);
  }
}
