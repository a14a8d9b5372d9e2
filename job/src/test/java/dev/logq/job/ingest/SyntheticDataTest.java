package dev.logq.job.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.logq.common.config.JobConfig;
import dev.logq.common.data.SyntheticModel;
import dev.logq.common.error.ExitCode;
import dev.logq.common.error.OutputExistsException;
import dev.logq.job.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDataTest {
  private static SparkSession spark;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("SyntheticDataTest");
  }

  @AfterAll
  static void stop() {
    SparkTestSession.stop(spark);
  }

  private static List<String> sorted(List<Row> rows) {
    return rows.stream().map(r -> r.get(0) + " " + r.get(1) + " " + r.get(2)).sorted().collect(Collectors.toList());
  }

  @Test
  void sameDataForAnyPartitioningAndEqualToTheModel() {
    JobConfig c = JobConfig.load(null, List.of("synthetic.users=200", "synthetic.items=50", "synthetic.interactionsPerUser=10"));
    List<Row> two = SyntheticData.generate(spark, c.synthetic(), 2, InteractionReader.SCHEMA,
        (u, i, t) -> org.apache.spark.sql.RowFactory.create(String.valueOf(u), String.valueOf(i), t, 1.0)).collectAsList();
    List<Row> seven = SyntheticData.generate(spark, c.withOverrides("synthetic.partitions=7").synthetic()).collectAsList();
    assertEquals(sorted(two), sorted(seven));

    SyntheticModel model = SyntheticModel.of(c.synthetic());
    List<String> expected = new ArrayList<>();
    for (int u = 0; u < 200; u++) {
      SyntheticModel.UserInteractions ui = model.interactions(u);
      for (int k = 0; k < ui.items.length; k++) {
        expected.add(u + " " + ui.items[k] + " " + ui.timestamps[k]);
      }
    }
    expected.sort(null);
    assertEquals(expected, sorted(two));
  }

  @Test
  void writeThenReadBackWithTheSameConfig() {
    String path = dir.resolve("synthetic").toString();
    JobConfig c = JobConfig.load(null, List.of("mode=generate", "input.path=" + path, "synthetic.users=300",
        "synthetic.items=80", "synthetic.partitions=3"));
    long written = SyntheticData.write(spark, c, false);
    IngestResult r = InteractionReader.read(spark, InputSettings.of(c));
    assertEquals(written, r.rows());
    assertFalse(r.timestampsFromInputOrder());
    assertEquals(300, r.interactions().select("user").distinct().count());
    r.unpersist();
    OutputExistsException e = assertThrows(OutputExistsException.class, () -> SyntheticData.write(spark, c, false));
    assertEquals(ExitCode.OUTPUT_EXISTS, ExitCode.of(e));
    assertEquals(written, SyntheticData.write(spark, c, true));
  }
}
