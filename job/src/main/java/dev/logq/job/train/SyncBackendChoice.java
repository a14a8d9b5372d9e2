package dev.logq.job.train;

import org.apache.spark.SparkContext;

/**
 * train.syncBackend = auto (the default): the collective backend wherever Spark can run it, the rounds backend
 * where it cannot. Both give the same model bit for bit, so the choice changes speed and what the driver carries,
 * never the result. Collective gang-schedules all train.workers tasks in barrier-mode jobs, so it needs that many
 * free task slots, and Spark refuses barrier jobs under dynamic allocation (SPARK-24942) outside local mode.
 */
public final class SyncBackendChoice {

  /** The name of the automatic choice. */
  public static final String AUTO = "auto";

  /** Its lines in train.syncBackend's documentation. */
  static final String DOC = """
      auto: collective when Spark has at least train.workers task slots and (on a cluster) dynamic
      allocation is off, otherwise rounds; the job logs which it chose and why, and metrics.json
      records it.""";

  /** A backend and why it was chosen. */
  public record Choice(String backend, String reason) {}

  private SyncBackendChoice() {}

  /** The backend for {@code configured} (a registered backend, or auto) on this Spark context. */
  public static Choice resolve(SparkContext sc, String configured, int workers) {
    if (!AUTO.equals(configured)) {
      return new Choice(configured, "train.syncBackend = " + configured);
    }
    return choose(sc.master(), sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false), taskSlots(sc),
        workers);
  }

  /** Spark refuses barrier-mode jobs under dynamic allocation (SPARK-24942), which it ignores in local mode. */
  public static boolean barrierJobsRefused(String master, boolean dynamicAllocation) {
    return dynamicAllocation && !master.startsWith("local");
  }

  /** The rule, apart from Spark so that it can be tested case by case. */
  static Choice choose(String master, boolean dynamicAllocation, int slots, int workers) {
    if (barrierJobsRefused(master, dynamicAllocation)) {
      return new Choice(DistributedTrainer.ROUNDS, "auto: dynamic allocation is on (spark.dynamicAllocation.enabled),"
          + " and Spark runs no barrier-mode jobs with it");
    }
    if (slots < workers) {
      return new Choice(DistributedTrainer.ROUNDS, "auto: " + slots + " task slot" + (slots == 1 ? "" : "s")
          + " for train.workers = " + workers + ", and collective runs all workers at once");
    }
    return new Choice(DistributedTrainer.COLLECTIVE, "auto: " + slots + " task slots for train.workers = " + workers
        + (master.startsWith("local") ? "" : ", no dynamic allocation"));
  }

  /**
   * The tasks Spark can run at once with the default resource profile: what its DAG scheduler checks before it
   * starts a barrier stage. spark.default.parallelism does not change it (sc.defaultParallelism() would).
   */
  static int taskSlots(SparkContext sc) {
    try {
      return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    } catch (LinkageError e) { // private[spark] in Scala: public in the bytecode, but not a promise across versions
      return sc.defaultParallelism();
    }
  }
}
