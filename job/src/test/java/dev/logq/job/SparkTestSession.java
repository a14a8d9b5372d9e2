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
    SparkSession spark = SparkSession.builder()
        .master("local[2]")
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
