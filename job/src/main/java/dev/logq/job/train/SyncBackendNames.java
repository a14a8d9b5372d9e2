package dev.logq.job.train;

import dev.logq.common.config.RegisteredNames;
import dev.logq.common.config.TrainSettings;
import java.util.List;

/**
 * Tells the configuration (in common, which cannot see this module) which names train.syncBackend accepts,
 * and their documentation: those {@link DistributedTrainer}'s registry of backends holds, so a backend's
 * name and doc are written once, in its class and its registry line. Listed in META-INF/services/dev.logq.common.config.RegisteredNames.
 */
public final class SyncBackendNames implements RegisteredNames {

  @Override
  public String key() {
    return TrainSettings.SYNC_BACKEND.key();
  }

  @Override
  public List<String> names() {
    return DistributedTrainer.configurableNames();
  }

  @Override
  public String doc() {
    return DistributedTrainer.backendDoc();
  }
}
