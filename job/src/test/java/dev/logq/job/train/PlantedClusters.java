package dev.logq.job.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Small test data with a structure a two-tower model can learn: users and items fall into clusters,
 * users mostly pick items of their own cluster with Zipf popularity. Each user's last interaction (by
 * time) is held out.
 */
final class PlantedClusters {

  static final StructType SCHEMA = new StructType()
      .add("user_idx", DataTypes.IntegerType, false)
      .add("item_idx", DataTypes.IntegerType, false)
      .add("ts", DataTypes.LongType, false);

  final int users;
  final int items;
  final List<Row> train = new ArrayList<>();
  /** test[u] = the held-out item of user u. */
  final int[] test;
  final long[] itemCounts;

  PlantedClusters(int users, int items, int clusters, int perUser, long seed) {
    this.users = users;
    this.items = items;
    this.test = new int[users];
    this.itemCounts = new long[items];
    SplittableRandom rng = new SplittableRandom(seed);
    int perCluster = items / clusters;
    double[] zipf = new double[perCluster];
    double total = 0;
    for (int r = 0; r < perCluster; r++) {
      zipf[r] = 1.0 / (r + 1);
      total += zipf[r];
    }
    for (int u = 0; u < users; u++) {
      int cluster = u % clusters;
      for (int t = 0; t <= perUser; t++) {
        int item;
        if (rng.nextDouble() < 0.9) {
          double x = rng.nextDouble() * total;
          int r = 0;
          while (r < perCluster - 1 && x > zipf[r]) {
            x -= zipf[r];
            r++;
          }
          item = cluster + clusters * r;
        } else {
          item = rng.nextInt(items);
        }
        if (t == perUser) {
          test[u] = item;
        } else {
          train.add(RowFactory.create(u, item, (long) t));
          itemCounts[item]++;
        }
      }
    }
  }

  Dataset<Row> trainSet(SparkSession spark) {
    return spark.createDataFrame(train, SCHEMA);
  }

  double[] itemLogQ() {
    long sum = 0;
    for (long c : itemCounts) {
      sum += c;
    }
    double[] logQ = new double[items];
    for (int i = 0; i < items; i++) {
      logQ[i] = itemCounts[i] == 0 ? Math.log(1e-10) : Math.log(itemCounts[i] / (double) sum);
    }
    return logQ;
  }
}
