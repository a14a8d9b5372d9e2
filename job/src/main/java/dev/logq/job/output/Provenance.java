package dev.logq.job.output;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.sql.SparkSession;

/** Versions and environment recorded with every run, so that a metrics.json says what produced it. */
public final class Provenance {

  private Provenance() {}

  /** logq, Spark, Scala, Hadoop and Java versions; plus the Spark master and application id when given a session. */
  public static Map<String, Object> versions(SparkSession spark) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("logq", logqVersion());
    v.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    v.put("scala", scala.util.Properties.versionNumberString());
    v.put("hadoop", org.apache.hadoop.util.VersionInfo.getVersion());
    v.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    if (spark != null) {
      v.put("spark_master", spark.sparkContext().master());
      v.put("spark_application_id", spark.sparkContext().applicationId());
    }
    return v;
  }

  /** From the jar's Maven metadata; "unknown" when running from classes (tests, IDE). */
  static String logqVersion() {
    String fromManifest = Provenance.class.getPackage().getImplementationVersion();
    if (fromManifest != null) {
      return fromManifest;
    }
    try (InputStream in = Provenance.class.getResourceAsStream("/META-INF/maven/dev.logq/logq-job/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      }
    } catch (IOException e) {
      // fall through: the version is informational
    }
    return "unknown";
  }
}
