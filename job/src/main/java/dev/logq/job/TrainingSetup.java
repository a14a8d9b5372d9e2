package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.common.config.Setting;
import dev.logq.common.config.TrainSettings;
import dev.logq.common.loss.Loss;
import dev.logq.common.loss.Losses;
import dev.logq.common.loss.Negatives;
import dev.logq.common.model.ModelSettings;
import dev.logq.common.model.ModelSpec;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.UserTower;
import dev.logq.common.model.tower.UserTowers;
import dev.logq.common.optim.Optimizers;
import dev.logq.job.train.TrainingPlan;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The thin adapter from the configuration to the training plan (as Spark ML's {@code fit} reads its Params
 * and calls an algorithm that knows none): the model spec with its resolved user tower, the loss and the
 * optimizer resolved once from their registries, and the spec.json the model is saved with.
 */
final class TrainingSetup {

  private TrainingSetup() {}

  static TrainingPlan plan(JobConfig config, UserTower userTower, String loss, int numUsers, int numItems) {
    TrainSettings t = config.train();
    ModelSpec spec = config.model().spec()
        .numUsers(numUsers)
        .numItems(numItems)
        .userTower(userTower)
        .seed(t.seed())
        .build();
    Loss resolved = Losses.create(loss, config);
    // compare mode trains every loss: global negatives apply to the in-batch ones (the configuration checks the rest)
    boolean global = config.loss().negatives() == Negatives.GLOBAL && resolved.inBatchNegatives();
    return new TrainingPlan(spec, resolved, Losses.negatives(loss, config),
        t.batchSize(), t.epochs(), t.workers(), t.syncEvery(), t.seed(),
        Optimizers.create(config.get(Optimizers.OPTIMIZER), config), t.checkpointEverySteps(), global);
  }

  /** model/spec.json: what a reader needs to rebuild the towers from params.bin. */
  static Map<String, Object> specJson(ModelSpec spec, ModelSettings model, String loss) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "logq-model-v1");
    m.put("loss", loss);
    m.put("numUsers", spec.numUsers());
    m.put("numItems", spec.numItems());
    // The tower's declared settings (userTower first); the history keys are always written, as before towers
    // declared their settings, so readers of logq-model-v1 find them for every tower.
    m.putAll(UserTowers.describe(model));
    for (Setting<?> s : HistoryTower.SETTINGS) {
      m.putIfAbsent(s.key().substring("model.".length()), Setting.recorded(model.get(s)));
    }
    m.put("embeddingDim", spec.embeddingDim());
    m.put("userMlp", spec.userMlp());
    m.put("itemMlp", spec.itemMlp());
    m.put("outputDim", spec.outputDim());
    m.put("l2Normalize", spec.l2Normalize());
    m.put("temperature", spec.temperature());
    m.put("initStd", spec.initStd());
    m.put("seed", spec.seed());
    m.put("params", "params.bin (TensorStore binary, see dev.logq.common.model.TensorStore)");
    return m;
  }
}
