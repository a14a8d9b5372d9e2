package dev.logq.job.train;

import dev.logq.common.config.RegisteredNames;
import dev.logq.common.config.TrainSettings;
import java.util.List;

/**
 * Tells the configuration (in common, which cannot see this module) which names train.syncBackend accepts:
 * those {@link DistributedTrainer}'s registry of backends holds, so a backend's name is written once, in
 * its registry line. Listed in META-INF/services/dev.logq.common.config.RegisteredNames.
 */
public final class SyncBackendNames implements RegisteredNames {

  @Override
  public String key() {
    return TrainSettings.SYNC_BACKEND.key();
  }

  @Override
  public List<String> names() {
    return DistributedTrainer.backendNames();
  }
}
