package dev.logq.job.train;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;

/**
 * How an executor brings its model replica to the current version: start from the base (the
 * deterministic initial parameters, or the last checkpoint on the output filesystem) and apply the
 * broadcast patches (encoded {@link RoundPatch}es) of every round since. The driver keeps patches only back to the last checkpoint.
 *
 * @param baseCheckpoint Hadoop path of the checkpoint the patches start from, or null for the
 *                       deterministic initialisation (version 0)
 * @param patches patches for versions baseVersion + 1 .. baseVersion + patches.size(), in order
 */
public record ReplicaSource(String runId, String baseCheckpoint, long baseVersion,
                            List<Broadcast<byte[]>> patches) implements Serializable {

  /** The version a replica has once every patch is applied. */
  public long currentVersion() {
    return baseVersion + patches.size();
  }
}
