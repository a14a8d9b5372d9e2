package dev.logq.job;

import org.apache.spark.sql.SparkSession;

/**
 * The small local Spark session every Spark test class starts once (and stops in @AfterAll).
 * {@code LOGQ_TEST_SERIALIZER=org.apache.spark.serializer.KryoSerializer mvn test ...} reruns the
 * tests under Kryo, which clusters often configure and which cannot serialize Java records.
 */
public final class SparkTestSession {

  private SparkTestSession() {}

  public static SparkSession start(String appName) {
    return start(appName, "local[2]");
  }

  /** With a master such as local[1] or local[2,3] (2 threads, a failed task is tried up to 3 times). */
  public static SparkSession start(String appName, String master) {
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.serializer", System.getenv().getOrDefault("LOGQ_TEST_SERIALIZER", "org.apache.spark.serializer.JavaSerializer"))
        .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/logq-test-warehouse")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }
}
