package dev.logq.job.eval;

import static org.apache.spark.sql.functions.col;

import dev.logq.common.data.Interactions;
import dev.logq.common.eval.DistributionDistance;
import dev.logq.common.eval.TrueDistribution;
import dev.logq.common.linalg.Matrices;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On synthetic data: how far the learned P_model(.|u) = softmax(scale * s(u, .)) is from the
 * planted P(.|u), as mean KL(true || model) and mean total-variation distance over a sample of users
 * (see {@link DistributionDistance}).
 *
 * <p>Runs on the driver: the item embeddings and the sampled users' embeddings are collected, which
 * suits the synthetic catalogs this is for (thousands of items). Item indices must be exactly
 * 0..n-1, the support of the true distribution.
 */
public final class PlantedDistance {

  private static final Logger LOG = LoggerFactory.getLogger(PlantedDistance.class);

  /** Collected item matrices above this many floats are refused (2 GiB of floats on the driver). */
  static final long MAX_DRIVER_FLOATS = 1L << 29;

  private PlantedDistance() {}

  /**
   * @param meanKl mean KL(true || model) in nats
   * @param meanTotalVariation mean total-variation distance, in [0, 1]
   * @param users sampled users that had an embedding (the means are over these)
   * @param usersWithoutEmbedding sampled users left out because they have no embedding
   */
  public record Result(double meanKl, double meanTotalVariation, int users, int usersWithoutEmbedding) {
    public Map<String, Double> toMetrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("planted_kl", meanKl);
      m.put("planted_total_variation", meanTotalVariation);
      m.put("planted_users", (double) users);
      return m;
    }
  }

  /**
   * Distance of the learned P(item|user) from the synthetic generator's planted one, for a sample of up to
   * 200 users. The planted distribution is over the generator's item ids; it is restricted to the items
   * that reached the training catalog (and renormalised), in the model's index order.
   *
   * @param userIds the original user id of each user index (decimal generator ids)
   * @param itemIds the original item id of each item index
   */
  public static Map<String, Double> fromPlanted(dev.logq.common.data.SyntheticModel planted, String[] userIds,
                                                String[] itemIds, Dataset<Row> userEmb, Dataset<Row> itemEmb,
                                                double inverseTemperature) {
    int[] itemOriginal = new int[itemIds.length];
    for (int i = 0; i < itemIds.length; i++) {
      itemOriginal[i] = Integer.parseInt(itemIds[i]);
    }
    int sample = Math.min(200, userIds.length);
    int[] users = new int[sample];
    for (int i = 0; i < sample; i++) {
      users[i] = (int) ((long) i * userIds.length / sample);
    }
    Result r = compute(userEmb, itemEmb, users, u -> {
      double[] full = planted.trueDistribution(Integer.parseInt(userIds[u]));
      double[] p = new double[itemOriginal.length];
      double sum = 0;
      for (int i = 0; i < p.length; i++) {
        p[i] = full[itemOriginal[i]];
        sum += p[i];
      }
      for (int i = 0; i < p.length; i++) {
        p[i] /= sum;
      }
      return p;
    }, inverseTemperature);
    return r.toMetrics();
  }

  /**
   * @param sampledUsers user indices to compare (duplicates count once)
   * @param truth the planted P(.|u) over item indices 0..n-1
   * @param scoreScale multiplies the dot products before the softmax (1 / temperature)
   */
  public static Result compute(Dataset<Row> userEmbeddings, Dataset<Row> itemEmbeddings, int[] sampledUsers,
      TrueDistribution truth, double scoreScale) {
    if (!(scoreScale > 0) || Double.isInfinite(scoreScale)) {
      throw new IllegalArgumentException("score scale must be positive and finite, got " + scoreScale);
    }
    List<Row> items = itemEmbeddings
        .select(col(Interactions.ITEM_INDEX).cast("int"), col(FullCatalogEvaluator.EMBEDDING).cast("array<float>"))
        .collectAsList();
    int n = items.size();
    if (n == 0) {
      throw new IllegalArgumentException("no item embeddings to compare with the planted distribution");
    }
    int dim = FullCatalogEvaluator.toFloats(items.get(0), 1, Interactions.ITEM_INDEX).length;
    if ((long) n * dim > MAX_DRIVER_FLOATS) {
      throw new IllegalArgumentException("the planted-distribution distance collects all item embeddings on the driver; "
          + n + " items x " + dim + " dimensions is too many (it is meant for synthetic catalogs)");
    }
    float[] itemMatrix = new float[n * dim];
    boolean[] present = new boolean[n];
    for (Row row : items) {
      int id = row.getInt(0);
      if (id < 0 || id >= n || present[id]) {
        throw new IllegalArgumentException("item embeddings must cover item_idx 0.." + (n - 1)
            + " exactly once each; found item_idx " + id + (id >= 0 && id < n ? " twice" : ""));
      }
      float[] v = FullCatalogEvaluator.toFloats(row, 1, Interactions.ITEM_INDEX);
      if (v.length != dim) {
        throw new IllegalArgumentException("embedding of item_idx " + id + " has dimension " + v.length + ", expected " + dim);
      }
      present[id] = true;
      System.arraycopy(v, 0, itemMatrix, id * dim, dim);
    }

    int[] wanted = Arrays.stream(sampledUsers).distinct().toArray();
    Object[] boxed = Arrays.stream(wanted).boxed().toArray();
    Map<Integer, float[]> userVectors = new HashMap<>();
    for (Row row : userEmbeddings
        .select(col(Interactions.USER_INDEX).cast("int"), col(FullCatalogEvaluator.EMBEDDING).cast("array<float>"))
        .where(col(Interactions.USER_INDEX).isin(boxed))
        .collectAsList()) {
      userVectors.put(row.getInt(0), FullCatalogEvaluator.toFloats(row, 1, Interactions.USER_INDEX));
    }

    float[] scores = new float[n];
    double klSum = 0;
    double tvSum = 0;
    int used = 0;
    for (int u : wanted) {
      float[] v = userVectors.get(u);
      if (v == null) {
        continue;
      }
      if (v.length != dim) {
        throw new IllegalArgumentException("embedding of user_idx " + u + " has dimension " + v.length
            + " but item embeddings have " + dim);
      }
      Matrices.multiplyTransposed(v, itemMatrix, scores, 1, n, dim);
      DistributionDistance.Distance d = DistributionDistance.between(u, truth.probabilities(u), scores, scoreScale);
      klSum += d.kl();
      tvSum += d.totalVariation();
      used++;
    }
    int missing = wanted.length - used;
    if (missing > 0) {
      LOG.warn("{} of {} sampled users have no embedding and are left out of the planted-distribution distance",
          missing, wanted.length);
    }
    Result r = new Result(used == 0 ? Double.NaN : klSum / used, used == 0 ? Double.NaN : tvSum / used, used, missing);
    LOG.info("Distance from the planted P(item | user) over {} users: KL {} nats, total variation {}",
        used, String.format("%.4f", r.meanKl()), String.format("%.4f", r.meanTotalVariation()));
    return r;
  }
}
