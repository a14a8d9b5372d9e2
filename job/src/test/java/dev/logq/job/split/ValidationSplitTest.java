package dev.logq.job.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.job.SparkTestSession;
import dev.logq.job.ingest.InteractionReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** split.validation: made from the training part only, disjoint from the rows the model trains on. */
class ValidationSplitTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("ValidationSplitTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static Set<String> keys(Dataset<Row> d) {
    return d.collectAsList().stream().map(x -> x.getString(0) + "/" + x.getString(1) + "/" + x.getLong(2))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static List<Row> rows() {
    Random rnd = new Random(3);
    List<Row> rows = new ArrayList<>();
    for (int u = 0; u < 60; u++) {
      int n = 1 + rnd.nextInt(8);
      for (int j = 0; j < n; j++) {
        rows.add(RowFactory.create("u" + u, "i" + rnd.nextInt(25), (long) (u * 100 + j), 1.0));
      }
    }
    return rows;
  }

  private static void check(String validation, String method) {
    JobConfig cfg = JobConfig.load(null, List.of("split.validation=" + validation, "split.method=" + method,
        "split.minUserCount=1"));
    Dataset<Row> data = spark.createDataFrame(rows(), InteractionReader.SCHEMA).repartition(3);
    SplitResult split = Splitter.prepare(data, null, cfg);
    ValidationSplit.Result v = ValidationSplit.carve(split.train(), SplitSettings.of(cfg), false);
    Set<String> part = keys(split.train());
    Set<String> test = keys(split.test());
    Set<String> fit = keys(v.fit());
    Set<String> val = keys(v.validation());
    assertTrue(val.size() > 5, validation + ": some validation rows (" + val.size() + ")");
    Set<String> both = new HashSet<>(fit);
    both.retainAll(val);
    assertEquals(Set.of(), both, validation + ": validation rows are not trained on");
    assertTrue(part.containsAll(val), validation + ": validation rows come from the training part");
    Set<String> leak = new HashSet<>(val);
    leak.retainAll(test);
    assertEquals(Set.of(), leak, validation + ": no test row is a validation row");
    assertEquals(fit.size(), v.fitRows());
    assertEquals(val.size(), v.validationRows());
    // Every held-out row is either validated or counted as cold; fit + held out = the training part.
    assertEquals(part.size(), fit.size() + v.validationRowsBeforeColdStart());
    Set<String> fitItems = fit.stream().map(k -> k.split("/")[1]).collect(Collectors.toSet());
    Set<String> fitUsers = fit.stream().map(k -> k.split("/")[0]).collect(Collectors.toSet());
    for (String k : val) {
      assertTrue(fitItems.contains(k.split("/")[1]) && fitUsers.contains(k.split("/")[0]), k + " is evaluable");
    }
    if (validation.equals("leave-last-out")) {
      // each user's latest training interaction, for users with at least 2 of them
      Map<String, List<String>> byUser = new HashMap<>();
      for (String k : part) {
        byUser.computeIfAbsent(k.split("/")[0], x -> new ArrayList<>()).add(k);
      }
      Set<String> expected = new TreeSet<>();
      byUser.values().stream().filter(l -> l.size() >= 2).forEach(l -> expected.add(
          l.stream().max((a, b) -> Long.compare(Long.parseLong(a.split("/")[2]), Long.parseLong(b.split("/")[2])))
              .get()));
      assertEquals(expected.size(), v.validationRowsBeforeColdStart());
      assertTrue(expected.containsAll(val));
    }
    // Same rows whatever the partitioning.
    ValidationSplit.Result again = ValidationSplit.carve(split.train().repartition(1), SplitSettings.of(cfg), false);
    assertEquals(val, keys(again.validation()));
    v.unpersist();
    again.unpersist();
    split.unpersist();
  }

  @Test
  void leaveLastOutOfTheTrainingPart() {
    check("leave-last-out", "leave-last-out");
  }

  @Test
  void fractionOfTheTrainingPart() {
    check("0.25", "random");
  }

  @Test
  void badValuesAreConfigurationErrors() {
    for (String bad : List.of("1.5", "0", "last", "-0.1")) {
      try {
        JobConfig.load(null, List.of("split.validation=" + bad));
        throw new AssertionError(bad + " accepted");
      } catch (dev.logq.common.error.ConfigException e) {
        assertTrue(e.getMessage().contains("split.validation"), e.getMessage());
      }
    }
    try {
      JobConfig.load(null, List.of("split.validation=none", "train.earlyStopping.patience=2"));
      throw new AssertionError("early stopping without validation accepted");
    } catch (dev.logq.common.error.ConfigException e) {
      assertTrue(e.getMessage().contains("train.earlyStopping.patience"), e.getMessage());
    }
  }
}
