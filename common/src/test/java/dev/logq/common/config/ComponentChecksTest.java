package dev.logq.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.error.ConfigException;
import dev.logq.common.loss.Losses;
import dev.logq.common.loss.Negatives;
import dev.logq.common.optim.Adam;
import dev.logq.common.optim.Optimizers;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checks and factories that live with their component, not in JobConfig: the sequence tower's
 * heads-divide-embeddingDim (registered with the tower), the in-batch check (asked of the loss), the optimizers
 * built from the resolved settings, and train.syncBackend's names (the job's registry; this module alone knows
 * only the default).
 */
class ComponentChecksTest {

  private static ConfigException fails(String... overrides) {
    return assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of(overrides)));
  }

  @Test
  void theSequenceTowersHeadsMustDivideTheEmbeddingDim() {
    ConfigException e = fails("model.userTower=sequence", "model.embeddingDim=10", "model.outputDim=10",
        "model.sequenceHeads=3");
    assertTrue(e.getMessage().contains("Invalid value for model.sequenceHeads: 3")
        && e.getMessage().contains("a divisor of model.embeddingDim (10)"), e.getMessage());
    // another tower does not read the key
    JobConfig.load(null, List.of("model.embeddingDim=10", "model.outputDim=10", "model.sequenceHeads=3"));
    JobConfig.load(null, List.of("model.userTower=sequence", "model.embeddingDim=12", "model.outputDim=12",
        "model.sequenceHeads=3"));
  }

  @Test
  void theInBatchCheckAsksTheLoss() {
    for (String loss : List.of("none", "standard", "refined")) {
      ConfigException e = fails("loss.type=" + loss, "train.batchSize=1");
      assertTrue(e.getMessage().contains("at least 2 with loss.type = " + loss + " (in-batch negatives)"), e.getMessage());
      JobConfig.load(null, List.of("loss.type=" + loss, "train.batchSize=1", "loss.uniformNegatives=1"));
    }
    JobConfig.load(null, List.of("loss.type=full", "train.batchSize=1"));
    JobConfig.load(null, List.of("loss.type=uniform-bce", "train.batchSize=1"));
    assertEquals(List.of("none", "standard", "refined"),
        Losses.names().stream().filter(n -> Losses.byName(n, true).inBatchNegatives()).toList());
    assertEquals(List.of("full"),
        Losses.names().stream().filter(n -> Losses.byName(n, true).scoresFullCatalog()).toList());
  }

  @Test
  void globalNegativesNeedOneSynchronisedStepAndTheInBatchColumnsAlone() {
    assertEquals(Negatives.LOCAL, JobConfig.defaults().loss().negatives());
    assertEquals(Negatives.GLOBAL, JobConfig.load(null, List.of("loss.negatives=global")).loss().negatives());
    ConfigException sync = fails("loss.negatives=global", "train.syncEvery=4");
    assertTrue(sync.getMessage().contains("Invalid value for loss.negatives: \"global\"")
        && sync.getMessage().contains("expected train.syncEvery = 1 with global negatives (every worker's batch items of one"
        + " synchronised step), got 4"), sync.getMessage());
    ConfigException mixed = fails("loss.negatives=global", "loss.uniformNegatives=8");
    assertTrue(mixed.getMessage().contains("expected loss.uniformNegatives = 0 with global negatives")
        && mixed.getMessage().contains("got 8"), mixed.getMessage());
    for (String loss : List.of("full", "uniform-bce")) {
      ConfigException e = fails("loss.negatives=global", "loss.type=" + loss);
      assertTrue(e.getMessage().contains("expected an in-batch loss (none, standard, refined) with global negatives,"
          + " not loss.type = " + loss), e.getMessage());
    }
    // compare mode trains every loss: global applies to the in-batch ones
    JobConfig.load(null, List.of("loss.negatives=global", "mode=compare"));
    ConfigException typo = fails("loss.negatives=globl");
    assertTrue(typo.getMessage().contains("local") && typo.getMessage().contains("global"), typo.getMessage());
  }

  @Test
  void optimizersAreBuiltFromTheResolvedSettings() {
    JobConfig c = JobConfig.load(null, List.of("train.adamBeta1=0.5", "train.learningRate=0.25"));
    assertEquals("Adam(lr=0.25, beta1=0.5, beta2=0.999, eps=1.0E-8)", Optimizers.create("adam", c).toString());
    assertEquals("Sgd(lr=0.25)", Optimizers.create("sgd", c).toString());
    assertEquals("Adagrad(lr=0.005, eps=1.0E-8)",
        Optimizers.create("adagrad", SettingValues.of(Map.of())).toString());
    assertEquals(List.of("train.optimizer", "train.learningRate", "train.adamBeta1", "train.adamBeta2", "train.epsilon"),
        Optimizers.SETTINGS.stream().map(Setting::key).toList());
    assertEquals(List.of(Adam.BETA1, Adam.BETA2, Optimizers.EPSILON), Optimizers.settingsOf("adam"));
  }

  @Test
  void withoutTheJobOnlyTheDefaultSyncBackendIsKnown() {
    assertEquals("auto", JobConfig.defaults().train().syncBackend());
    ConfigException e = fails("train.syncBackend=collective");
    assertTrue(e.getMessage().contains("expected one of auto"), e.getMessage());
  }
}
