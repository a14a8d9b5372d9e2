package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import dev.logq.common.model.tower.UserTowers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ModelSpec validation and the model's input checks: every message names the key or row at fault. */
class ModelSpecTest {

  private static ModelSpec.Builder valid() {
    return ModelSpec.builder().numUsers(10).numItems(20).embeddingDim(4).outputDim(4);
  }

  private static void assertRejected(ModelSpec.Builder builder, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
  }

  @Test
  void invalidFieldsAreNamed() {
    assertRejected(valid().numItems(0), "numItems", "0");
    assertRejected(valid().numUsers(0), "numUsers", "id");
    assertRejected(valid().embeddingDim(0), "model.embeddingDim");
    assertRejected(valid().outputDim(8), "model.outputDim (8)", "model.embeddingDim (4)", "model.userMlp");
    assertRejected(valid().userMlp(16).outputDim(8), "model.itemMlp");
    assertRejected(valid().userMlp(16, 0).itemMlp(3).outputDim(8), "model.userMlp[1]");
    assertRejected(valid().temperature(0), "model.temperature");
    assertRejected(valid().temperature(Double.NaN), "model.temperature");
    assertRejected(valid().initStd(-1), "model.initStd");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> valid().userTower(new HistoryTower(0, HistoryPooling.MEAN)).build());
    assertTrue(e.getMessage().contains("model.historyLength"), e.getMessage());
  }

  @Test
  void validSpecsBuild() {
    ModelSpec spec = valid().userMlp(16).itemMlp(8, 8).outputDim(5).build();
    assertEquals(5, spec.outputDim());
    assertEquals(16, spec.userMlp()[0]);
    // The history tower needs no user count.
    ModelSpec history = valid().numUsers(0).userTower(new HistoryTower(20, HistoryPooling.ATTENTION))
        .build();
    assertEquals(0, history.numUsers());
    assertEquals(history, history.toBuilder().build());
    assertNotEquals(history, history.toBuilder().seed(1).build());
  }

  @Test
  void specIsImmutableAndSerialisable() throws Exception {
    int[] hidden = {16};
    ModelSpec spec = valid().userMlp(hidden).itemMlp(3).outputDim(6).build();
    hidden[0] = 99;
    spec.userMlp()[0] = 77;
    assertEquals(16, spec.userMlp()[0]);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
      out.writeObject(spec);
      out.writeObject(new TwoTowerModel(spec));
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buffer.toByteArray()))) {
      assertEquals(spec, in.readObject());
      assertEquals(spec, ((TwoTowerModel) in.readObject()).spec());
    }
  }

  @Test
  void configSpellingsParse() {
    ModelSettings settings = JobConfig.defaults().model();
    assertEquals(HistoryTower.NAME, UserTowers.create("History", settings).name());
    assertEquals(HistoryPooling.ATTENTION, HistoryPooling.parse(" attention "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> UserTowers.create("graph", settings));
    assertTrue(e.getMessage().contains("model.userTower") && e.getMessage().contains("graph"), e.getMessage());
  }

  /** spec.json's tower part is written from the declared settings; it must say what the tower itself reports. */
  @Test
  void describedSettingsAreTheTowersOwn() {
    for (String name : UserTowers.names()) {
      ModelSettings m = JobConfig.defaults().withOverrides("model.userTower=" + name, "model.historyPooling=attention",
          "model.historyLength=7", "model.sequenceBlocks=3", "model.sequenceDropout=0.1").model();
      assertEquals(UserTowers.fromConfig(m).settings(), UserTowers.describe(m), name);
    }
  }

  @Test
  void badBatchesNameTheRow() {
    ModelSpec spec = valid().build();
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> model.lossAndGradient(params, Batch.ofUsers(2, new int[] {1, 2}, new int[] {3, 20}),
            TestLosses.softmax("x"), null, 0, null, new TensorPatch()));
    assertTrue(e.getMessage().contains("batch row 1") && e.getMessage().contains("20"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> model.lossAndGradient(params, Batch.ofUsers(2, new int[] {1, -1}, new int[] {3, 4}),
            TestLosses.softmax("x"), null, 0, null, new TensorPatch()));
    assertTrue(e.getMessage().contains("batch row 1") && e.getMessage().contains("user index -1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> model.lossAndGradient(params, Batch.ofUsers(1, new int[] {1}, new int[] {3}),
            TestLosses.softmax("x"), null, 2, null, new TensorPatch()));
    assertTrue(e.getMessage().contains("random generator"), e.getMessage());

    ModelSpec historySpec = valid().userTower(new HistoryTower(2, HistoryPooling.MEAN)).build();
    TwoTowerModel historyModel = new TwoTowerModel(historySpec);
    TensorStore historyParams = TwoTowerModel.initialParameters(historySpec);
    e = assertThrows(IllegalArgumentException.class,
        () -> historyModel.lossAndGradient(historyParams, Batch.ofHistory(2, new int[] {-1, 1, 25, 2},
            new int[] {3, 4}), TestLosses.softmax("x"), null, 0, new SplittableRandom(1), new TensorPatch()));
    assertTrue(e.getMessage().contains("batch row 1") && e.getMessage().contains("25"), e.getMessage());
  }

  @Test
  void parametersThatDoNotFitTheSpecAreRejected() {
    ModelSpec spec = valid().build();
    TensorStore otherShape = TwoTowerModel.initialParameters(valid().numItems(21).build());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TwoTowerModel(spec).itemEmbeddings(otherShape, new int[] {1}, 1, new float[4]));
    assertTrue(e.getMessage().contains("item.embedding") && e.getMessage().contains("numItems"), e.getMessage());
    TensorStore mlpLess = TwoTowerModel.initialParameters(spec);
    ModelSpec withMlp = valid().itemMlp(3).userMlp(3).build();
    e = assertThrows(IllegalArgumentException.class,
        () -> new TwoTowerModel(withMlp).itemEmbeddings(mlpLess, new int[] {1}, 1, new float[4]));
    assertTrue(e.getMessage().contains("item.mlp.0.weight"), e.getMessage());
  }
}
