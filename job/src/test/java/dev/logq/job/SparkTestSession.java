package dev.logq.job;

import org.apache.spark.sql.SparkSession;

/**
 * The small local Spark session of the Spark test classes: one per test JVM (surefire fork), shared by the
 * classes that ask for the same master, instead of a start and stop per class (a few seconds each). A class
 * asking for another master (local[2,3], local[1]) stops the shared session and starts its own, which is then
 * the shared one. {@link #stop} releases a class's use: it drops cached data and the job group, and leaves the
 * session running for the next class; the JVM's exit stops it.
 * {@code LOGQ_TEST_SERIALIZER=org.apache.spark.serializer.KryoSerializer mvn test ...} reruns the
 * tests under Kryo, which clusters often configure and which cannot serialize Java records.
 */
public final class SparkTestSession {

  private static SparkSession shared;
  private static String sharedMaster;

  private SparkTestSession() {}

  public static SparkSession start(String appName) {
    return start(appName, "local[2]");
  }

  /** With a master such as local[1] or local[2,3] (2 threads, a failed task is tried up to 3 times). */
  public static synchronized SparkSession start(String appName, String master) {
    if (shared != null && !shared.sparkContext().isStopped() && master.equals(sharedMaster)) {
      SparkSession.setActiveSession(shared);
      SparkSession.setDefaultSession(shared);
      shared.sparkContext().setLogLevel("WARN");
      return shared;
    }
    if (shared != null) {
      shared.stop();
    }
    SparkSession spark = SparkSession.builder()
        .master(master)
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        // Adaptive query execution re-plans every query after each shuffle stage: on the tests' tiny data that
        // planning is most of a query's time (MainTest and GoldenModelTest took 81 and 87 s with it, 67 and 75 s
        // without). The job's results do not depend on the plan (GoldenModelTest's digests hold either way), and
        // StandaloneClusterIT runs the job with Spark's defaults, AQE on, on local[1], local[2] and the cluster.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.serializer", System.getenv().getOrDefault("LOGQ_TEST_SERIALIZER", "org.apache.spark.serializer.JavaSerializer"))
        .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/logq-test-warehouse")
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    shared = spark;
    sharedMaster = master;
    return spark;
  }

  /**
   * Stops the shared session and any other active or default one, for a test that needs a session of its own
   * settings (or Main.run to start its own, e.g. a real local[1]).
   */
  public static synchronized void stopShared() {
    if (shared != null) {
      shared.stop();
      shared = null;
      sharedMaster = null;
    }
    if (SparkSession.getActiveSession().isDefined()) {
      SparkSession.getActiveSession().get().stop();
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      SparkSession.getDefaultSession().get().stop();
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** The end of a test class's use of the session: cached data goes, the session stays for the next class. */
  public static synchronized void stop(SparkSession spark) {
    if (spark == null || spark.sparkContext().isStopped()) {
      return;
    }
    if (spark != shared) {
      spark.stop();
      return;
    }
    spark.catalog().clearCache();
    org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).getPersistentRDDs().values()
        .forEach(rdd -> rdd.unpersist(true));
    spark.sparkContext().clearJobGroup();
  }
}
