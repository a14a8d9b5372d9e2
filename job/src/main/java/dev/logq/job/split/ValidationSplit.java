package dev.logq.job.split;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.Interactions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * split.validation: a validation split carved out of the training part only (the test split is never looked
 * at), so the epoch-end validation metrics and early stopping never see test data.
 *
 * <ul>
 *   <li>leave-last-out: each user's latest training interaction (users with at least two training
 *       interactions), ties broken as the leave-last-out test split breaks them;
 *   <li>a fraction f: each training interaction with probability f, by a 64-bit hash of (seed + 1, row),
 *       independent of the partitioning.
 * </ul>
 * The validation rows are removed from the rows the model trains on ({@link Result#fit()}). Validation rows
 * whose item does not remain in the fit rows are dropped (no embedding is learned for it), and those of users
 * absent from the fit rows unless the tower embeds unseen users; both are counted.
 */
public final class ValidationSplit {

  private static final String IS_VALIDATION = "_is_validation";
  /** The validation split's hash seed is split.seed + this, so it is independent of a random test split's. */
  static final long SEED_OFFSET = 1;

  private ValidationSplit() {}

  /**
   * @param fit the rows the model trains on (the training part minus the validation rows)
   * @param validation evaluable validation rows (columns as the input)
   */
  public record Result(Dataset<Row> fit, Dataset<Row> validation, long fitRows, long validationRows,
                       long validationRowsBeforeColdStart, long coldItemRows, long coldUserRows, Dataset<Row> cached) {

    public Map<String, Object> stats(String method) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("method", method);
      m.put("fitRows", fitRows);
      m.put("validationRowsBeforeColdStart", validationRowsBeforeColdStart);
      m.put("coldItemValidationRowsRemoved", coldItemRows);
      m.put("coldUserValidationRows", coldUserRows);
      m.put("validationRows", validationRows);
      return m;
    }

    public void unpersist() {
      cached.unpersist();
    }
  }

  /** Splits the training part {@code trainPart} (columns as the input) per split.validation (not none). */
  public static Result carve(Dataset<Row> trainPart, SplitSettings s, boolean keepColdUsers) {
    if (!s.hasValidation()) {
      throw new IllegalArgumentException("split.validation = none");
    }
    Dataset<Row> tagged = s.validationLeaveLastOut()
        ? Splitter.leaveLastOut(trainPart).withColumnRenamed("_is_test", IS_VALIDATION)
        : trainPart.withColumn(IS_VALIDATION, Splitter.randomUnit(s.seed() + SEED_OFFSET).lt(s.validationFraction()));
    Column[] columns = MinCountFilter.columnsOf(trainPart);
    Dataset<Row> fit0 = tagged.filter(col(IS_VALIDATION).unary_$bang()).select(columns);
    Dataset<Row> val0 = tagged.filter(col(IS_VALIDATION)).select(columns);
    Dataset<Row> knownItems = fit0.select(col(Interactions.ITEM).as("_known_item")).distinct();
    Dataset<Row> knownUsers = fit0.select(col(Interactions.USER).as("_known_user")).distinct();
    Dataset<Row> flagged = val0
        .join(knownItems, col(Interactions.ITEM).equalTo(col("_known_item")), "left")
        .join(knownUsers, col(Interactions.USER).equalTo(col("_known_user")), "left")
        .withColumn("_cold_item", col("_known_item").isNull())
        .withColumn("_cold_user", col("_known_user").isNull())
        .drop("_known_item", "_known_user");
    Dataset<Row> all = fit0.withColumn("_v", lit(false)).withColumn("_cold_item", lit(false))
        .withColumn("_cold_user", lit(false))
        .unionByName(flagged.withColumn("_v", lit(true)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Row stats = all.agg(count(when(col("_v").unary_$bang(), lit(1))), count(when(col("_v"), lit(1))),
        count(when(col("_v").and(col("_cold_item")), lit(1))),
        count(when(col("_v").and(col("_cold_item").unary_$bang()).and(col("_cold_user")), lit(1)))).first();
    long fitRows = stats.getLong(0);
    long before = stats.getLong(1);
    long coldItems = stats.getLong(2);
    long coldUsers = stats.getLong(3);
    Column keep = col("_v").and(col("_cold_item").unary_$bang());
    if (!keepColdUsers) {
      keep = keep.and(col("_cold_user").unary_$bang());
    }
    Dataset<Row> fit = all.filter(col("_v").unary_$bang()).select(columns);
    Dataset<Row> validation = all.filter(keep).select(columns);
    long validationRows = before - coldItems - (keepColdUsers ? 0 : coldUsers);
    return new Result(fit, validation, fitRows, validationRows, before, coldItems, coldUsers, all);
  }

  /**
   * A seeded sample of at most {@code n} distinct users of {@code validation} (0: all): the users with the
   * smallest 64-bit hash of (seed, user_idx), so the same users whatever the partitioning.
   */
  public static Dataset<Row> sampleUsers(Dataset<Row> validation, int n, long seed) {
    Dataset<Row> users = validation.select(col(Interactions.USER_INDEX)).distinct();
    if (n == 0) {
      return users;
    }
    return users.withColumn("_h", xxhash64(lit(seed), col(Interactions.USER_INDEX)))
        .orderBy(col("_h"), col(Interactions.USER_INDEX)).limit(n).select(Interactions.USER_INDEX);
  }
}
