package dev.logq.job.train.collective;

import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;

/**
 * The one driver-mediated step of a segment: inside a barrier-mode task, listen, publish this rank's address
 * with {@link BarrierTaskContext#allGather} (ordered by partition id, which becomes the rank), connect to all.
 * After this the driver carries nothing until the stage ends.
 */
public final class BarrierRendezvous {

  private BarrierRendezvous() {}

  /** The host this executor is known by (what its block manager advertises): where its peers can reach it. */
  public static String executorHost() {
    return SparkEnv.get().blockManager().blockManagerId().host();
  }

  /**
   * Joins the group of this barrier stage's tasks. {@code groupId} must be the same for all of them and new for
   * every attempt of the stage (e.g. run id + segment + attempt).
   */
  public static PeerGroup join(BarrierTaskContext context, String groupId, String host, PeerGroup.Options options) {
    int rank = context.partitionId();
    int size = context.getTaskInfos().length;
    PeerGroup group = PeerGroup.listen(groupId, rank, size, host, options);
    try {
      String[] addresses = context.allGather(group.address());
      group.connect(List.of(addresses));
      return group;
    } catch (RuntimeException e) {
      group.close();
      throw e;
    }
  }
}
