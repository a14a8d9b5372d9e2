package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.job.baseline.AlsBaseline;
import dev.logq.job.eval.EvalResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A baseline trained outside the pipeline (ALS) on {@link Pipeline#prepare()}'s split and scored by
 * {@link Pipeline#evaluate}: the metrics equal a brute-force ranking computed here from the collected
 * factors, and ALS beats random retrieval on the synthetic data.
 */
class PipelineBaselineTest {

  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("PipelineBaselineTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  @Test
  void alsOnThePreparedSplitMatchesABruteForceEvaluation() {
    JobConfig config = JobConfig.load(null, List.of("synthetic.users=300", "synthetic.items=120",
        "synthetic.interactionsPerUser=20", "split.method=leave-last-out", "eval.k=5,10", "eval.filterSeen=true"));
    Pipeline pipeline = new Pipeline(spark, config, false);
    Pipeline.Prepared data = pipeline.prepare();
    AlsBaseline.Factors f = AlsBaseline.fit(data.train(), new AlsBaseline.Settings(8, 6, 0.1, 10, 2, 1L));
    EvalResult eval = pipeline.evaluate(data, f.users(), f.items());

    Map<Integer, float[]> users = baselineFactors(f.users(), "user_idx");
    Map<Integer, float[]> items = baselineFactors(f.items(), "item_idx");
    f.unpersist();
    assertEquals(data.users().size(), users.size());
    assertEquals(data.items().size(), items.size());
    // The evaluation filters the whole training part (the rows trained on and the validation rows).
    Map<Integer, Set<Integer>> seen = pairs(data.seen().select("user_idx", "item_idx").collectAsList());
    Map<Integer, Set<Integer>> test = pairs(data.test().select("user_idx", "item_idx").collectAsList());
    double[] recall = new double[2];
    double[] ndcg = new double[2];
    int[] ks = {5, 10};
    for (Map.Entry<Integer, Set<Integer>> t : test.entrySet()) {
      List<Integer> ranked = rank(users.get(t.getKey()), items, seen.getOrDefault(t.getKey(), Set.of()));
      for (int k = 0; k < ks.length; k++) {
        int hits = 0;
        double dcg = 0;
        for (int r = 0; r < ks[k]; r++) {
          if (t.getValue().contains(ranked.get(r))) {
            hits++;
            dcg += 1 / (Math.log(r + 2) / Math.log(2));
          }
        }
        double idcg = 0;
        for (int r = 0; r < Math.min(ks[k], t.getValue().size()); r++) {
          idcg += 1 / (Math.log(r + 2) / Math.log(2));
        }
        recall[k] += hits / (double) Math.min(ks[k], t.getValue().size());
        ndcg[k] += dcg / idcg;
      }
    }
    for (int k = 0; k < ks.length; k++) {
      assertEquals(recall[k] / test.size(), eval.metric("recall@" + ks[k]), 1e-9, "recall@" + ks[k]);
      assertEquals(ndcg[k] / test.size(), eval.metric("ndcg@" + ks[k]), 1e-9, "ndcg@" + ks[k]);
    }
    assertEquals(test.size(), eval.counts().get("evaluated_users"));
    // Random retrieval: about 10 / (unseen items) ~ 0.1; ALS must find the planted structure.
    assertTrue(eval.metric("recall@10") > 0.25, "ALS recall@10 " + eval.metric("recall@10"));
  }

  /**
   * Scores in double from the float factors (the evaluator sums in float, in another order; the data
   * and ALS are seeded, so a near-tie that the two orders break differently would show at once, not
   * intermittently). Ties rank the lower item index first, as the evaluator does.
   */
  private static List<Integer> rank(float[] user, Map<Integer, float[]> items, Set<Integer> seen) {
    List<Integer> candidates = new ArrayList<>();
    Map<Integer, Double> score = new HashMap<>();
    for (Map.Entry<Integer, float[]> e : items.entrySet()) {
      if (!seen.contains(e.getKey())) {
        candidates.add(e.getKey());
        double s = 0;
        for (int d = 0; d < user.length; d++) {
          s += (double) user[d] * e.getValue()[d];
        }
        score.put(e.getKey(), s);
      }
    }
    candidates.sort((a, b) -> score.get(a).equals(score.get(b)) ? Integer.compare(a, b)
        : Double.compare(score.get(b), score.get(a)));
    return candidates;
  }

  private static Map<Integer, float[]> baselineFactors(org.apache.spark.sql.Dataset<Row> ds, String id) {
    Map<Integer, float[]> out = new HashMap<>();
    for (Row r : ds.select(id, "embedding").collectAsList()) {
      List<Float> v = r.getList(1);
      float[] a = new float[v.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = v.get(i);
      }
      out.put(r.getInt(0), a);
    }
    return out;
  }

  private static Map<Integer, Set<Integer>> pairs(List<Row> rows) {
    Map<Integer, Set<Integer>> out = new HashMap<>();
    for (Row r : rows) {
      out.computeIfAbsent(r.getInt(0), k -> new HashSet<>()).add(r.getInt(1));
    }
    return out;
  }
}
