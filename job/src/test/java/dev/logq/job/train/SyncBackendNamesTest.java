package dev.logq.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.TrainSettings;
import dev.logq.common.error.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** train.syncBackend accepts exactly the names DistributedTrainer registers (found through SyncBackendNames). */
class SyncBackendNamesTest {

  @Test
  void theConfigurationAcceptsTheRegisteredBackends() {
    for (String backend : DistributedTrainer.backendNames()) {
      assertEquals(backend, JobConfig.load(null, List.of("train.syncBackend=" + backend.toUpperCase())).train().syncBackend());
    }
    assertEquals(DistributedTrainer.ROUNDS, JobConfig.defaults().train().syncBackend());
    ConfigException e = assertThrows(ConfigException.class,
        () -> JobConfig.load(null, List.of("train.syncBackend=carrier-pigeon")));
    assertTrue(e.getMessage().contains("expected one of " + String.join(", ", DistributedTrainer.backendNames())),
        e.getMessage());
  }

  /** Each backend documents itself in train.syncBackend's doc, in registration order (its DOC). */
  @Test
  void theDocumentationListsEachBackend() {
    String doc = TrainSettings.SYNC_BACKEND.doc();
    int previous = -1;
    for (String backend : DistributedTrainer.backendNames()) {
      int at = doc.indexOf("\n" + backend + ": ");
      assertTrue(at > previous, backend + " in " + doc);
      previous = at;
    }
  }
}
