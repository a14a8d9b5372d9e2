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
    for (String backend : DistributedTrainer.configurableNames()) {
      assertEquals(backend, JobConfig.load(null, List.of("train.syncBackend=" + backend.toUpperCase())).train().syncBackend());
    }
    assertEquals(SyncBackendChoice.AUTO, JobConfig.defaults().train().syncBackend());
    assertEquals(DistributedTrainer.configurableNames().subList(1, DistributedTrainer.configurableNames().size()),
        DistributedTrainer.backendNames());
    ConfigException e = assertThrows(ConfigException.class,
        () -> JobConfig.load(null, List.of("train.syncBackend=carrier-pigeon")));
    assertTrue(e.getMessage().contains("expected one of " + String.join(", ", DistributedTrainer.configurableNames())),
        e.getMessage());
  }

  /** auto, then each backend, documents itself in train.syncBackend's doc, in registration order (its DOC). */
  @Test
  void theDocumentationListsEachBackend() {
    String doc = TrainSettings.SYNC_BACKEND.doc();
    int previous = -1;
    for (String backend : DistributedTrainer.configurableNames()) {
      int at = doc.indexOf("\n" + backend + ": ");
      assertTrue(at > previous, backend + " in " + doc);
      previous = at;
    }
  }
}
