package dev.logq.job.baseline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.logq.common.data.Interactions;
import dev.logq.job.eval.FullCatalogEvaluator;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spark MLlib's ALS with {@code implicitPrefs = true} (Hu, Koren and Volinsky, ICDM 2008): the
 * matrix factorisation a Spark user can run today, as a baseline for the two-tower models.
 *
 * <p>Input: the indexed training pairs ({@code user_idx int, item_idx int} and optionally
 * {@code weight double}). Repeated (user, item) pairs are summed into one rating r_ui (the number of
 * interactions, or the summed weights), which ALS turns into the confidence 1 + alpha * r_ui of the
 * preference p_ui = 1. Output: the user and item factors as {@code (user_idx int, embedding
 * array<float>)} and {@code (item_idx int, embedding array<float>)}; the score of a pair is their dot
 * product, which is what the evaluator ranks by. Every user and item of the training pairs gets a factor.
 */
public final class AlsBaseline {

  private static final Logger LOG = LoggerFactory.getLogger(AlsBaseline.class);
  private static final String RATING = "rating";

  private AlsBaseline() {}

  /**
   * The ALS hyper-parameters (names as in {@link ALS}).
   *
   * @param rank factor dimension
   * @param maxIter alternating passes (each solves all users, then all items)
   * @param regParam L2 regularisation lambda
   * @param alpha confidence scale: c_ui = 1 + alpha * r_ui
   * @param numBlocks user and item blocks of the distributed solver
   * @param seed seed of the factor initialisation
   */
  public record Settings(int rank, int maxIter, double regParam, double alpha, int numBlocks, long seed) {
    public Settings {
      if (rank < 1) {
        throw new IllegalArgumentException("ALS rank must be >= 1, got " + rank);
      }
      if (maxIter < 1) {
        throw new IllegalArgumentException("ALS maxIter must be >= 1, got " + maxIter);
      }
      if (!(regParam >= 0) || Double.isInfinite(regParam)) {
        throw new IllegalArgumentException("ALS regParam must be finite and >= 0, got " + regParam);
      }
      if (!(alpha >= 0) || Double.isInfinite(alpha)) {
        throw new IllegalArgumentException("ALS alpha must be finite and >= 0, got " + alpha);
      }
      if (numBlocks < 1) {
        throw new IllegalArgumentException("ALS numBlocks must be >= 1, got " + numBlocks);
      }
    }
  }

  /** Trained factors in the evaluator's format; {@link #unpersist()} when done. */
  public record Factors(Dataset<Row> users, Dataset<Row> items, double trainSeconds) {
    public void unpersist() {
      users.unpersist();
      items.unpersist();
    }
  }

  /** Fits ALS on {@code trainPairs} and returns the factors, cached and materialised. */
  public static Factors fit(Dataset<Row> trainPairs, Settings s) {
    String user = Interactions.USER_INDEX;
    String item = Interactions.ITEM_INDEX;
    List<String> columns = Arrays.asList(trainPairs.columns());
    if (!columns.contains(user) || !columns.contains(item)) {
      throw new IllegalArgumentException("ALS training pairs need the columns " + user + " and " + item
          + " (columns: " + columns + ")");
    }
    long started = System.nanoTime();
    org.apache.spark.sql.Column weight = columns.contains("weight") ? col("weight").cast("float") : lit(1f);
    Dataset<Row> ratings = trainPairs
        .select(col(user).cast("int").as(user), col(item).cast("int").as(item), weight.as(RATING))
        .groupBy(user, item).agg(sum(RATING).cast("float").as(RATING));
    ALS als = new ALS()
        .setImplicitPrefs(true)
        .setUserCol(user)
        .setItemCol(item)
        .setRatingCol(RATING)
        .setRank(s.rank())
        .setMaxIter(s.maxIter())
        .setRegParam(s.regParam())
        .setAlpha(s.alpha())
        .setNumBlocks(s.numBlocks())
        .setSeed(s.seed());
    ALSModel model = als.fit(ratings);
    String emb = FullCatalogEvaluator.EMBEDDING;
    Dataset<Row> users = model.userFactors().select(col("id").as(user), col("features").as(emb)).cache();
    Dataset<Row> items = model.itemFactors().select(col("id").as(item), col("features").as(emb)).cache();
    long numUsers = users.count();
    long numItems = items.count();
    double seconds = (System.nanoTime() - started) / 1e9;
    LOG.info("ALS (implicit) rank {}, {} iterations, regParam {}, alpha {}: {} user and {} item factors in {} s",
        s.rank(), s.maxIter(), s.regParam(), s.alpha(), numUsers, numItems, String.format("%.1f", seconds));
    return new Factors(users, items, seconds);
  }
}
