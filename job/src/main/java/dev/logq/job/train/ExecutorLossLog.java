package dev.logq.job.train;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While training runs, says in the driver's log which executor was lost, where training was, and where the
 * workers get their model back from (the backend's {@link Synchronizer#recoveryPoint}). Spark's own lines
 * ("Lost task ... ExecutorLostFailure") say which task failed, not what that means for the model.
 */
final class ExecutorLossLog extends SparkListener implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

  private final SparkContext sc;
  private final Synchronizer sync;
  private final Map<String, String> hosts = new ConcurrentHashMap<>();
  private volatile String position = "before the first round";

  private ExecutorLossLog(SparkContext sc, Synchronizer sync) {
    this.sc = sc;
    this.sync = sync;
  }

  static ExecutorLossLog register(SparkContext sc, Synchronizer sync) {
    ExecutorLossLog log = new ExecutorLossLog(sc, sync);
    sc.addSparkListener(log);
    log.seedHosts();
    return log;
  }

  /**
   * The executors that joined before training: their hosts from Spark's status store (the data of the UI's
   * Executors tab; Scala-private, so reached defensively: without it a loss message only lacks the host).
   */
  private void seedHosts() {
    try {
      scala.collection.Iterator<org.apache.spark.status.api.v1.ExecutorSummary> it =
          sc.statusStore().executorList(true).iterator();
      while (it.hasNext()) {
        org.apache.spark.status.api.v1.ExecutorSummary e = it.next();
        String hostPort = e.hostPort();
        int colon = hostPort.lastIndexOf(':');
        hosts.putIfAbsent(e.id(), colon > 0 ? hostPort.substring(0, colon) : hostPort);
      }
    } catch (RuntimeException | LinkageError e) {
      LOG.debug("Executor hosts unknown until executors join: {}", e.toString());
    }
  }

  /** The segment the epoch loop starts now (1-based in the message). */
  void at(int epoch, int epochs, int roundInEpoch, int roundsPerEpoch) {
    position = "epoch " + (epoch + 1) + "/" + epochs + ", round " + (roundInEpoch + 1) + " of " + roundsPerEpoch;
  }

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded added) {
    hosts.put(added.executorId(), added.executorInfo().executorHost());
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    String host = hosts.get(removed.executorId());
    LOG.warn("Lost executor {}{} during training, at {}: {}. Recovery: {}; the model stays the same bit for bit.",
        removed.executorId(), host == null ? "" : " (" + host + ")", position, removed.reason(),
        sync.recoveryPoint());
  }

  @Override
  public void close() {
    sc.removeSparkListener(this);
  }
}
