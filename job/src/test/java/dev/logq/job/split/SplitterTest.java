package dev.logq.job.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig;
import dev.logq.common.error.DataException;
import dev.logq.job.SparkTestSession;
import dev.logq.job.ingest.InteractionReader;
import java.util.ArrayList;
import java.util.Arrays;
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

class SplitterTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("SplitterTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static Row r(String user, String item, long time) {
    return RowFactory.create(user, item, time, 1.0);
  }

  private static Dataset<Row> data(List<Row> rows) {
    return spark.createDataFrame(rows, InteractionReader.SCHEMA);
  }

  private static Set<String> keys(Dataset<Row> d) {
    return d.collectAsList().stream().map(x -> x.getString(0) + "/" + x.getString(1) + "/" + x.getLong(2))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static SplitSettings split(String... overrides) {
    return SplitSettings.of(JobConfig.load(null, Arrays.asList(overrides)));
  }

  @Test
  void leaveLastOutHoldsOutEachUsersLatest() {
    Dataset<Row> d = data(List.of(
        r("a", "i1", 1), r("a", "i2", 3), r("a", "i3", 2),
        r("b", "i1", 5),                         // one interaction: stays in train
        r("c", "x", 5), r("c", "y", 5), r("c", "i1", 4),   // tie at 5: the larger item id is "latest"
        r("e", "i2", 0), r("f", "y", 0)));        // so that the held-out items also occur in train
    SplitResult s = Splitter.split(d, split(), true, null);
    assertEquals(Set.of("a/i2/3", "c/y/5"), keys(s.test()));
    assertEquals(Set.of("a/i1/1", "a/i3/2", "b/i1/5", "c/x/5", "c/i1/4", "e/i2/0", "f/y/0"), keys(s.train()));
    assertEquals(2, s.testRows());
    assertEquals(7, s.trainRows());
    s.unpersist();
  }

  @Test
  void leaveLastOutMatchesAnIndependentComputation() {
    Random random = new Random(5);
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < 3000; k++) {
      rows.add(r("u" + random.nextInt(300), "i" + random.nextInt(40), random.nextInt(50)));
    }
    Map<String, List<Row>> byUser = new HashMap<>();
    for (Row row : rows) {
      byUser.computeIfAbsent(row.getString(0), u -> new ArrayList<>()).add(row);
    }
    Set<String> expectedTest = new TreeSet<>();
    for (List<Row> list : byUser.values()) {
      if (list.size() < 2) {
        continue;
      }
      Row latest = list.stream().max((x, y) -> x.getLong(2) != y.getLong(2) ? Long.compare(x.getLong(2), y.getLong(2))
          : x.getString(1).compareTo(y.getString(1))).get();
      expectedTest.add(latest.getString(0) + "/" + latest.getString(1) + "/" + latest.getLong(2));
    }
    // the history tower keeps everything, so the test set is exactly the split's
    SplitResult s = Splitter.split(data(rows).repartition(3), split(), true, null);
    assertEquals(expectedTest, keys(s.test()));
    assertEquals(3000, s.trainRows() + s.testRowsBeforeColdStart());
    s.unpersist();
  }

  @Test
  void temporalCutsAtTheQuantile() {
    List<Row> rows = new ArrayList<>();
    for (int t = 1; t <= 100; t++) {
      rows.add(r("u" + (t % 7), "i" + (t % 5), t));
    }
    SplitResult s = Splitter.split(data(rows), split("split.method=temporal", "split.testFraction=0.2"), true, null);
    assertEquals(80L, s.temporalCut());
    Set<Long> testTimes = s.test().collectAsList().stream().map(x -> x.getLong(2)).collect(Collectors.toSet());
    Set<Long> expected = new HashSet<>();
    for (long t = 81; t <= 100; t++) {
      expected.add(t);
    }
    assertEquals(expected, testTimes);
    assertEquals(0.2, s.realisedTestShare(), 1e-12);
    assertTrue(s.train().filter("timestamp > 80").isEmpty());
    s.unpersist();

    // all at one instant: nothing is later than the cut
    List<Row> same = List.of(r("a", "x", 7), r("b", "y", 7), r("a", "y", 7));
    DataException e = assertThrows(DataException.class,
        () -> Splitter.split(data(same), split("split.method=temporal"), true, null));
    assertTrue(e.getMessage().contains("no test interactions") && e.getMessage().contains("cut is at timestamp 7"), e.getMessage());
  }

  @Test
  void randomSplitIsReproducibleAcrossPartitionings() {
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < 4000; k++) {
      rows.add(r("u" + (k % 97), "i" + (k % 31), k));
    }
    SplitSettings cfg = split("split.method=random", "split.testFraction=0.25", "split.seed=3");
    Set<String> one = keys(Splitter.split(data(rows).repartition(1), cfg, true, null).test());
    Set<String> seven = keys(Splitter.split(data(rows).repartition(7), cfg, true, null).test());
    Set<String> again = keys(Splitter.split(data(rows).orderBy("item"), cfg, true, null).test());
    assertEquals(one, seven);
    assertEquals(one, again);
    // share: binomial(4000, 0.25) has sd ~27
    assertEquals(1000, one.size(), 120);
    Set<String> otherSeed = keys(Splitter.split(data(rows), split("split.method=random", "split.testFraction=0.25",
        "split.seed=4"), true, null).test());
    assertNotEquals(one, otherSeed);
  }

  @Test
  void minCountFilterIteratesToTheCore() {
    // d has one interaction; removing d leaves i3 with one, removing i3 leaves c with one.
    Dataset<Row> d = data(List.of(
        r("a", "i1", 1), r("a", "i2", 2),
        r("b", "i1", 1), r("b", "i2", 2),
        r("c", "i1", 1), r("c", "i3", 2),
        r("d", "i3", 3)));
    MinCountFilter.Result f = MinCountFilter.apply(d, 2, 2);
    assertEquals(Set.of("a/i1/1", "a/i2/2", "b/i1/1", "b/i2/2"), keys(f.data()));
    assertEquals(3, f.rounds());
    assertEquals(2, f.usersRemoved());
    assertEquals(1, f.itemsRemoved());
    assertEquals(3, f.rowsRemoved());
    f.unpersist();
    MinCountFilter.Result none = MinCountFilter.apply(d, 1, 1);
    assertEquals(7, none.rowsAfter());
    assertEquals(0, none.rounds());
  }

  @Test
  void minCountFilterMatchesAnIndependentCore() {
    Random random = new Random(9);
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < 2000; k++) {
      // skewed users and items so that several rounds are needed
      rows.add(r("u" + (int) Math.floor(Math.pow(random.nextDouble(), 2) * 400), "i" + (int) Math.floor(Math.pow(random.nextDouble(), 2) * 300), k));
    }
    List<Row> core = new ArrayList<>(rows);
    while (true) {
      Map<String, Integer> uc = new HashMap<>();
      Map<String, Integer> ic = new HashMap<>();
      for (Row x : core) {
        uc.merge(x.getString(0), 1, Integer::sum);
        ic.merge(x.getString(1), 1, Integer::sum);
      }
      List<Row> next = core.stream().filter(x -> uc.get(x.getString(0)) >= 3 && ic.get(x.getString(1)) >= 4).collect(Collectors.toList());
      if (next.size() == core.size()) {
        break;
      }
      core = next;
    }
    MinCountFilter.Result f = MinCountFilter.apply(data(rows), 3, 4);
    assertEquals(keys(data(core)), keys(f.data()));
    assertTrue(f.rounds() >= 2, "rounds " + f.rounds());
    f.unpersist();
  }

  @Test
  void coldItemsAndUsersInTest() {
    Dataset<Row> train = data(List.of(r("a", "i1", 1), r("a", "i2", 2), r("b", "i1", 1)));
    Dataset<Row> test = data(List.of(r("a", "i2", 9), r("a", "new", 9), r("z", "i1", 9), r("z", "i2", 9), r("y", "new", 9)));
    JobConfig idTower = JobConfig.load(null, List.of("split.method=given", "input.path=/x", "input.testPath=/y",
        "split.minUserCount=1"));
    SplitResult s = Splitter.prepare(train, test, idTower);
    assertEquals(Set.of("a/i2/9"), keys(s.test()));
    assertEquals(5, s.testRowsBeforeColdStart());
    assertEquals(2, s.coldItemTestRows());
    assertEquals(2, s.coldUserTestRows());
    assertEquals(2, s.coldUsers());     // z and y
    assertFalse(s.coldUsersKept());
    assertEquals(1, s.testRows());
    assertEquals(2L, s.stats().get("coldUserTestRows"));
    assertEquals(false, s.stats().get("coldUserTestRowsKept"));
    s.unpersist();

    SplitResult h = Splitter.prepare(train, test, idTower.withOverrides("model.userTower=history"));
    assertEquals(Set.of("a/i2/9", "z/i1/9", "z/i2/9"), keys(h.test()));
    assertTrue(h.coldUsersKept());
    assertEquals(3, h.testRows());
    assertNull(h.temporalCut());
    h.unpersist();
  }

  @Test
  void prepareFiltersThenSplits() {
    Dataset<Row> d = data(List.of(r("a", "i1", 1), r("a", "i2", 2), r("b", "i1", 3), r("c", "i2", 1), r("c", "i1", 4)));
    // minUserCount = 2 (default) removes b; leave-last-out holds out a/i2 and c/i1
    SplitResult s = Splitter.prepare(d, null, JobConfig.defaults());
    assertEquals(Set.of("a/i2/2", "c/i1/4"), keys(s.test()));
    assertEquals(Set.of("a/i1/1", "c/i2/1"), keys(s.train()));
    assertEquals(1L, s.stats().get("rowsRemovedByMinCount"));
    s.unpersist();
  }
}
