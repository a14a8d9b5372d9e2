package dev.logq.job.eval;

import dev.logq.common.data.Interactions;
import dev.logq.common.eval.TopK;
import dev.logq.job.output.RecommendationWriter;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The final evaluation on the test split and, with {@code output.recommendK = K > 0}, the recommendations of the
 * trained model. For the test users with the training items filtered (the defaults) the top K comes out of the
 * evaluation's own blocked pass ({@link FullCatalogEvaluator#evaluateAndRecommend}); only a different user set
 * ({@code output.recommendAllUsers}) or a different filter ({@code eval.filterSeen = false}, while recommendations
 * always drop the user's training items) takes a separate pass ({@link FullCatalogEvaluator#recommendScored}).
 */
public final class TestEvaluation {

  private TestEvaluation() {}

  /**
   * @param test test pairs ({@code user_idx, item_idx})
   * @param seen the training part's pairs: filtered from the rankings and the recommendations
   * @param recommendK 0 for no recommendations
   * @param userIds {@code original_id, index} of the users (for the recommendations' ids)
   * @param itemIds {@code original_id, index} of the items
   * @param recommendationsUri where the recommendations' Parquet goes
   */
  public static EvalResult run(SparkSession spark, EvalSettings settings, Dataset<Row> userEmb, Dataset<Row> itemEmb,
      Dataset<Row> test, Dataset<Row> seen, long[] itemTrainCounts, int recommendK, boolean allUsers,
      Dataset<Row> userIds, Dataset<Row> itemIds, String recommendationsUri) {
    FullCatalogEvaluator evaluator = new FullCatalogEvaluator(settings);
    Dataset<Row> testPairs = test.select(Interactions.USER_INDEX, Interactions.ITEM_INDEX);
    Dataset<Row> seenPairs = seen.select(Interactions.USER_INDEX, Interactions.ITEM_INDEX);
    if (recommendK <= 0) {
      return evaluator.evaluate(userEmb, itemEmb, testPairs, seenPairs, itemTrainCounts);
    }
    if (!allUsers && settings.filterSeen()) {
      FullCatalogEvaluator.Evaluation both = evaluator.evaluateAndRecommend(userEmb, itemEmb, testPairs, seenPairs,
          itemTrainCounts, recommendK);
      try {
        RecommendationWriter.write(spark, both.top(), userIds, itemIds, recommendationsUri);
      } finally {
        both.release();
      }
      return both.result();
    }
    EvalResult result = evaluator.evaluate(userEmb, itemEmb, testPairs, seenPairs, itemTrainCounts);
    Dataset<Row> users = allUsers ? userEmb
        : userEmb.join(testPairs.select(Interactions.USER_INDEX).distinct(), Interactions.USER_INDEX);
    JavaPairRDD<Integer, TopK> top = evaluator.recommendScored(users, itemEmb, seenPairs, recommendK);
    try {
      RecommendationWriter.write(spark, top, userIds, itemIds, recommendationsUri);
    } finally {
      top.unpersist(false);
    }
    return result;
  }
}
