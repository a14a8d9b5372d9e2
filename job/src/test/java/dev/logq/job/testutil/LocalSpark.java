package dev.logq.job.testutil;

import org.apache.spark.sql.SparkSession;

/** A small local SparkSession for tests: 2 cores, no UI, few shuffle partitions. One per test class. */
public final class LocalSpark {
  private LocalSpark() {
  }

  public static SparkSession start(String appName) {
    SparkSession spark = SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/logq-test-warehouse")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }
}
