package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refactoring guard: small configurations trained through the real job path ({@link Main#run}) must
 * keep writing the same {@code model/params.bin}, byte for byte, and the same metrics and training curve,
 * to the last bit. The expected values were recorded from the code before the components became pluggable
 * (issue 10); a change of behaviour, however small, fails here. The metrics were re-recorded once, when the test
 * metrics became sums in a fixed, partition-independent order (issue 13): a few means moved in their last digits, no
 * params.bin digest changed. Digests and metrics were re-recorded once more (session 17) when every tower's score
 * products moved from {@code linalg.Matrices} to the fused kernels ({@code linalg.FusedMatrices}, different
 * rounding): first, with {@code -Dlogq.sequenceBlas=matrices} (the old products), the previous digests were
 * reproduced exactly, so nothing else had changed. Together the cases cover both user towers
 * (id, history with mean and attention pooling), every loss (none, standard with both positive-correction
 * variants, refined, full, uniform-bce), mixed uniform negatives, every sync backend (rounds, collective; the
 * collective cases keep the digests the removed barrier backend recorded: all backends give the same bits; two
 * curve values, where barrier added the round losses in another order, last bit, are now the rounds backend's) and
 * syncEvery 1 and K > 1, plus a user MLP and each optimizer. They keep train.placement = example, as recorded;
 * {@code ID_BY_USER} (session 22) records the placement by user.
 */
class GoldenModelTest {

  private static SparkSession spark;

  @TempDir
  Path tmp;

  @BeforeAll
  static void startSpark() {
    spark = SparkTestSession.start("GoldenModelTest");
  }

  @AfterAll
  static void stopSpark() {
    SparkTestSession.stop(spark);
  }

  /** Common to every case: the tiny synthetic set, two epochs, two workers, no report or embeddings. */
  private static final List<String> BASE = List.of(
      "synthetic.users=100", "synthetic.items=60", "synthetic.interactionsPerUser=10",
      "model.embeddingDim=8", "model.outputDim=8", "model.historyLength=5",
      "train.epochs=2", "train.batchSize=128", "train.workers=2",
      "eval.k=[1,10]", "output.report=false", "output.writeEmbeddings=false",
      // Recorded before the validation split existed (it is on by default since): these configurations train on
      // the whole training part, as they did when the digests were recorded.
      "split.validation=none",
      // Recorded before train.placement existed (auto places the id tower's examples by user since): the cases keep
      // the example placement they were recorded with; ID_BY_USER records the placement by user.
      "train.placement=example",
      "spark.master=local[2]");

  private record Case(String name, List<String> settings, String paramsSha256, String metrics) {}

  private static final Case ID_NONE_ROUNDS = new Case("id-none-rounds-sync1",
      List.of("model.userTower=id", "loss.type=none", "train.syncBackend=rounds", "train.syncEvery=1"),
      "216fc17cc8cc12769ffabaa232023b2e1ee53c01f7543bfa1f92f3ddb421274e",
      "{catalog=100x60 train 892 test 100, none/curve0/meanLoss=15.457605594908468, "
      + "none/curve1/meanLoss=13.678792058141996, none/hitrate@1=0.02, none/hitrate@10=0.21, "
      + "none/mrr=0.059837301587301585, none/ndcg@1=0.02, none/ndcg@10=0.09398430604571036, "
      + "none/planted_kl=10.108638163009026, none/planted_total_variation=0.9017765126705204, "
      + "none/planted_users=100.0, none/rec_head_share@1=0.11, none/rec_head_share@10=0.162, "
      + "none/rec_mean_popularity_percentile@1=38.950000221729276, "
      + "none/rec_mean_popularity_percentile@10=45.78500020927191, "
      + "none/rec_mean_train_count@1=10.18, none/rec_mean_train_count@10=12.165, "
      + "none/recall@1=0.02, none/recall@1/head=0.0, none/recall@1/tail=0.038461538461538464, "
      + "none/recall@1/torso=0.05, none/recall@10=0.21, none/recall@10/head=0.16666666666666666, "
      + "none/recall@10/tail=0.3076923076923077, none/recall@10/torso=0.2, none/rounds=8}");

  /** train.placement = user (the id tower's default since session 22), recorded when it was added. */
  private static final Case ID_BY_USER = new Case("id-refined-collective-by-user-sync1",
      List.of("model.userTower=id", "loss.type=refined", "train.syncBackend=collective", "train.syncEvery=1",
          "train.placement=user"),
      "f40ef1de7e3ba78a125050f229317e99545040c3506109ea1b560c8c8f7de2de",
      "{catalog=100x60 train 892 test 100, refined/curve0/meanLoss=19.542822941971203, "
      + "refined/curve1/meanLoss=17.670544943856793, refined/hitrate@1=0.03, refined/hitrate@10=0.2, "
      + "refined/mrr=0.06944047619047619, refined/ndcg@1=0.03, refined/ndcg@10=0.09948461866976313, "
      + "refined/planted_kl=10.12954486944816, refined/planted_total_variation=0.8942155670338455, "
      + "refined/planted_users=100.0, refined/rec_head_share@1=0.16, refined/rec_head_share@10=0.169, "
      + "refined/rec_mean_popularity_percentile@1=42.766666885018346, "
      + "refined/rec_mean_popularity_percentile@10=46.34916686326265, "
      + "refined/rec_mean_train_count@1=11.53, refined/rec_mean_train_count@10=12.274, "
      + "refined/recall@1=0.03, refined/recall@1/head=0.018518518518518517, "
      + "refined/recall@1/tail=0.038461538461538464, refined/recall@1/torso=0.05, "
      + "refined/recall@10=0.2, refined/recall@10/head=0.14814814814814814, "
      + "refined/recall@10/tail=0.2692307692307692, refined/recall@10/torso=0.25, refined/rounds=8}");

  private static final List<Case> CASES = List.of(
      ID_NONE_ROUNDS,
      ID_BY_USER,
      new Case("id-standard-collective-sync1",
          List.of("model.userTower=id", "loss.type=standard", "train.syncBackend=collective", "train.syncEvery=1",
              "train.optimizer=adagrad"),
          "85cd80b911a58eb2e8aa9ab958488d733865a7b013afbd9bc9c148c1dba89051",
          "{catalog=100x60 train 892 test 100, standard/curve0/meanLoss=15.93703577369957, "
          + "standard/curve1/meanLoss=14.81158906345532, standard/hitrate@1=0.03, "
          + "standard/hitrate@10=0.2, standard/mrr=0.06925396825396826, standard/ndcg@1=0.03, "
          + "standard/ndcg@10=0.09910708375903282, standard/planted_kl=10.788133340367086, "
          + "standard/planted_total_variation=0.9065329139590509, standard/planted_users=100.0, "
          + "standard/rec_head_share@1=0.18, standard/rec_head_share@10=0.162, "
          + "standard/rec_mean_popularity_percentile@1=45.258333548903465, "
          + "standard/rec_mean_popularity_percentile@10=46.02250022292137, "
          + "standard/rec_mean_train_count@1=12.56, standard/rec_mean_train_count@10=12.131, "
          + "standard/recall@1=0.03, standard/recall@1/head=0.018518518518518517, "
          + "standard/recall@1/tail=0.038461538461538464, standard/recall@1/torso=0.05, "
          + "standard/recall@10=0.2, standard/recall@10/head=0.16666666666666666, "
          + "standard/recall@10/tail=0.2692307692307692, standard/recall@10/torso=0.2, standard/rounds=8}"),
      new Case("id-standard-negatives-only-mixed-rounds-sync2",
          List.of("model.userTower=id", "loss.type=standard", "loss.standardCorrectPositive=false",
              "loss.uniformNegatives=7", "train.syncBackend=rounds", "train.syncEvery=2", "model.userMlp=[12]"),
          "ec67974e041751db71cbc1c57042c47c0d5ed5a70c47260c09ecf284e90164b0",
          "{catalog=100x60 train 892 test 100, standard/curve0/meanLoss=19.313791216215296, "
          + "standard/curve1/meanLoss=16.384675132322084, standard/hitrate@1=0.05, "
          + "standard/hitrate@10=0.27, standard/mrr=0.10516269841269843, standard/ndcg@1=0.05, "
          + "standard/ndcg@10=0.14298431862721864, standard/planted_kl=7.350380480728062, "
          + "standard/planted_total_variation=0.8060610391646188, standard/planted_users=100.0, "
          + "standard/rec_head_share@1=0.32, standard/rec_head_share@10=0.246, "
          + "standard/rec_mean_popularity_percentile@1=52.03333375573158, "
          + "standard/rec_mean_popularity_percentile@10=53.53833373469114, "
          + "standard/rec_mean_train_count@1=18.45, standard/rec_mean_train_count@10=15.473, "
          + "standard/recall@1=0.05, standard/recall@1/head=0.09259259259259259, "
          + "standard/recall@1/tail=0.0, standard/recall@1/torso=0.0, standard/recall@10=0.27, "
          + "standard/recall@10/head=0.3888888888888889, standard/recall@10/tail=0.07692307692307693, "
          + "standard/recall@10/torso=0.2, standard/rounds=4}"),
      new Case("history-attention-refined-mixed-collective-sync2",
          List.of("model.userTower=history", "model.historyPooling=attention", "loss.type=refined",
              "loss.uniformNegatives=5", "train.syncBackend=collective", "train.syncEvery=2"),
          "8c71c6e1069599fb6e71fc7d7860c9c0536949721a534bd68fa72c5e2eb3180b",
          "{catalog=100x60 train 892 test 100, refined/curve0/meanLoss=18.644815199166196, "
          + "refined/curve1/meanLoss=16.938684775312797, refined/hitrate@1=0.02, refined/hitrate@10=0.24, "
          + "refined/mrr=0.06435317460317462, refined/ndcg@1=0.02, refined/ndcg@10=0.10432472656416325, "
          + "refined/planted_kl=9.372624348936508, refined/planted_total_variation=0.8885227636899933, "
          + "refined/planted_users=100.0, refined/rec_head_share@1=0.24, "
          + "refined/rec_head_share@10=0.233, "
          + "refined/rec_mean_popularity_percentile@1=55.52500012397766, "
          + "refined/rec_mean_popularity_percentile@10=52.11166685682535, "
          + "refined/rec_mean_train_count@1=15.1, refined/rec_mean_train_count@10=14.579, "
          + "refined/recall@1=0.02, refined/recall@1/head=0.037037037037037035, "
          + "refined/recall@1/tail=0.0, refined/recall@1/torso=0.0, refined/recall@10=0.24, "
          + "refined/recall@10/head=0.37037037037037035, refined/recall@10/tail=0.07692307692307693, "
          + "refined/recall@10/torso=0.1, refined/rounds=4}"),
      new Case("history-full-rounds-sync3",
          List.of("model.userTower=history", "loss.type=full", "train.syncBackend=rounds", "train.syncEvery=3",
              "train.optimizer=sgd", "train.learningRate=0.5"),
          "98a56d1ffc0de055a681e6b513cfef64ce1ce970ed885cb24e59a596e3263f79",
          "{catalog=100x60 train 892 test 100, full/curve0/meanLoss=12.627559787881497, "
          + "full/curve1/meanLoss=6.548552812674927, full/hitrate@1=0.02, full/hitrate@10=0.42, "
          + "full/mrr=0.11055555555555556, full/ndcg@1=0.02, full/ndcg@10=0.18159598435149837, "
          + "full/planted_kl=2.015356377421043, full/planted_total_variation=0.5933582109179346, "
          + "full/planted_users=100.0, full/rec_head_share@1=0.28, full/rec_head_share@10=0.386, "
          + "full/rec_mean_popularity_percentile@1=66.23333433151245, "
          + "full/rec_mean_popularity_percentile@10=63.48250053596497, "
          + "full/rec_mean_train_count@1=21.44, full/rec_mean_train_count@10=20.758, full/recall@1=0.02, "
          + "full/recall@1/head=0.018518518518518517, full/recall@1/tail=0.0, full/recall@1/torso=0.05, "
          + "full/recall@10=0.42, full/recall@10/head=0.6296296296296297, "
          + "full/recall@10/tail=0.11538461538461539, full/recall@10/torso=0.25, full/rounds=4}"),
      new Case("id-uniform-bce-rounds-sync2",
          List.of("model.userTower=id", "loss.type=uniform-bce", "loss.bceNegatives=4", "train.syncBackend=rounds",
              "train.syncEvery=2", "model.l2Normalize=false", "model.temperature=1.0"),
          "7a02079c84accc284ec0ac10b4422e668c10cba5cd637828288b172eef2b12f8",
          "{catalog=100x60 train 892 test 100, uniform-bce/curve0/meanLoss=3.4137249731146917, "
          + "uniform-bce/curve1/meanLoss=3.41314449485818, uniform-bce/hitrate@1=0.02, "
          + "uniform-bce/hitrate@10=0.19, uniform-bce/mrr=0.06452380952380952, uniform-bce/ndcg@1=0.02, "
          + "uniform-bce/ndcg@10=0.09382219865566263, uniform-bce/planted_kl=1.0755992925722504, "
          + "uniform-bce/planted_total_variation=0.5443754346920866, uniform-bce/planted_users=100.0, "
          + "uniform-bce/rec_head_share@1=0.08, uniform-bce/rec_head_share@10=0.139, "
          + "uniform-bce/rec_mean_popularity_percentile@1=39.97500004649162, "
          + "uniform-bce/rec_mean_popularity_percentile@10=44.470833505213264, "
          + "uniform-bce/rec_mean_train_count@1=10.36, uniform-bce/rec_mean_train_count@10=11.526, "
          + "uniform-bce/recall@1=0.02, uniform-bce/recall@1/head=0.018518518518518517, "
          + "uniform-bce/recall@1/tail=0.038461538461538464, uniform-bce/recall@1/torso=0.0, "
          + "uniform-bce/recall@10=0.19, uniform-bce/recall@10/head=0.14814814814814814, "
          + "uniform-bce/recall@10/tail=0.23076923076923078, uniform-bce/recall@10/torso=0.25, "
          + "uniform-bce/rounds=4}"),
      new Case("history-uniform-bce-collective-sync1",
          List.of("model.userTower=history", "loss.type=uniform-bce", "train.syncBackend=collective",
              "train.syncEvery=1", "model.itemMlp=[6]", "model.userMlp=[6]"),
          "9459674c26477f446449dd5c0b85d4bc25b14422e29ccc991f5bc662a3ad6a86",
          "{catalog=100x60 train 892 test 100, uniform-bce/curve0/meanLoss=10.352948777733188, "
          + "uniform-bce/curve1/meanLoss=7.548676236328396, uniform-bce/hitrate@1=0.02, "
          + "uniform-bce/hitrate@10=0.3, uniform-bce/mrr=0.08632539682539683, uniform-bce/ndcg@1=0.02, "
          + "uniform-bce/ndcg@10=0.13542845350242344, uniform-bce/planted_kl=2.9513708642827665, "
          + "uniform-bce/planted_total_variation=0.752440000936785, uniform-bce/planted_users=100.0, "
          + "uniform-bce/rec_head_share@1=0.51, uniform-bce/rec_head_share@10=0.247, "
          + "uniform-bce/rec_mean_popularity_percentile@1=68.7000011062622, "
          + "uniform-bce/rec_mean_popularity_percentile@10=59.46833388900757, "
          + "uniform-bce/rec_mean_train_count@1=21.02, uniform-bce/rec_mean_train_count@10=17.715, "
          + "uniform-bce/recall@1=0.02, uniform-bce/recall@1/head=0.037037037037037035, "
          + "uniform-bce/recall@1/tail=0.0, uniform-bce/recall@1/torso=0.0, uniform-bce/recall@10=0.3, "
          + "uniform-bce/recall@10/head=0.4444444444444444, "
          + "uniform-bce/recall@10/tail=0.11538461538461539, uniform-bce/recall@10/torso=0.15, "
          + "uniform-bce/rounds=8}"));

  @Test
  void everyCaseTrainsTheRecordedModel() throws IOException {
    List<String> failures = new ArrayList<>();
    StringBuilder recorded = new StringBuilder();
    for (Case c : CASES) {
      Path out = tmp.resolve(c.name());
      List<String> args = new ArrayList<>(BASE);
      args.addAll(c.settings());
      args.add("output.path=" + out);
      JobRun run = JobRun.of(args);
      assertEquals(0, run.exitCode(), c.name() + ": " + run.userMessage());
      String digest = sha256(out.resolve("model/params.bin"));
      String metrics = metricsFingerprint(JobRun.json(out.resolve("metrics.json")));
      recorded.append(String.format("%s%n  %s%n  %s%n", c.name(), digest, metrics));
      if (!digest.equals(c.paramsSha256())) {
        failures.add(c.name() + ": params.bin sha256 " + digest + ", recorded " + c.paramsSha256());
      }
      if (!metrics.equals(c.metrics())) {
        failures.add(c.name() + ": metrics " + metrics + ", recorded " + c.metrics());
      }
    }
    System.out.println("GoldenModelTest values:\n" + recorded);
    assertEquals(List.of(), failures, String.join("\n", failures));
  }

  /**
   * Every metric of the run (exact doubles, as metrics.json writes them), the curve's mean loss per
   * epoch and the number of rounds: one string, keys sorted.
   */
  private static String metricsFingerprint(JsonNode doc) {
    Map<String, String> values = new TreeMap<>();
    JsonNode losses = doc.at("/metrics");
    for (Iterator<String> it = losses.fieldNames(); it.hasNext(); ) {
      String loss = it.next();
      JsonNode m = losses.get(loss);
      for (Iterator<String> k = m.fieldNames(); k.hasNext(); ) {
        String key = k.next();
        values.put(loss + "/" + key, m.get(key).asText());
      }
      JsonNode training = doc.path("training_" + loss);
      values.put(loss + "/rounds", training.path("rounds").asText());
      JsonNode curve = training.path("curve");
      for (int i = 0; i < curve.size(); i++) {
        values.put(loss + "/curve" + i + "/meanLoss", curve.get(i).path("meanLoss").asText());
      }
    }
    values.put("catalog", doc.at("/counts/catalog.users").asText() + "x" + doc.at("/counts/catalog.items").asText()
        + " train " + doc.at("/counts/catalog.train_pairs").asText() + " test " + doc.at("/counts/catalog.test_pairs").asText());
    return values.toString();
  }

  private static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
