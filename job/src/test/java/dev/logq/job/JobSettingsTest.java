package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.CommandLine;
import dev.logq.common.config.JobConfig;
import dev.logq.common.error.ConfigException;
import dev.logq.common.loss.StandardLogQ;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.ingest.InputSettings.BadRecords;
import dev.logq.job.ingest.InputSettings.InputFormat;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.split.SplitSettings;
import dev.logq.job.split.SplitSettings.SplitMethod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration with the keys this module declares ({@link JobSettings}: input.*, split.*, output.*,
 * ...), which common's own tests cannot load: these cases moved here from common's JobConfigTest and
 * CommandLineTest.
 */
class JobSettingsTest {

  @TempDir
  Path dir;

  @Test
  void defaults() {
    JobConfig c = JobConfig.defaults();
    assertEquals("output/logq-run", OutputSettings.of(c).path());
    assertEquals("", InputSettings.of(c).path());
    assertTrue(InputSettings.of(c).isSynthetic());
    assertEquals(InputFormat.PARQUET, InputSettings.of(c).format());
    assertEquals(SplitMethod.LEAVE_LAST_OUT, SplitSettings.of(c).method());
    assertEquals(BadRecords.FAIL, InputSettings.of(c).badRecords());
    // every key of every module's reference.conf is in the effective map (the constructor also checks this)
    assertEquals(JobConfig.knownKeys(), new java.util.TreeSet<>(c.toMap().keySet()));
  }

  /** Spark refuses barrier-mode jobs under dynamic allocation; the job says so before reading any input. */
  @Test
  void collectiveBackendWithDynamicAllocationOnAClusterIsRefusedUpFront() {
    String message = Pipeline.barrierModeProblem("yarn", true, "collective", 16).orElseThrow();
    assertTrue(message.contains("spark.dynamicAllocation.enabled=false") && message.contains("train.workers=16")
        && message.contains("train.syncBackend=rounds"), message);
    assertTrue(Pipeline.barrierModeProblem("spark://h:7077", true, "collective", 2).isPresent());
    assertFalse(Pipeline.barrierModeProblem("yarn", false, "collective", 16).isPresent());
    assertFalse(Pipeline.barrierModeProblem("yarn", true, "rounds", 16).isPresent());
    assertFalse(Pipeline.barrierModeProblem("local[4]", true, "collective", 2).isPresent(),
        "local mode ignores dynamic allocation");
  }

  @Test
  void overrideValuesWithSpecialCharactersAreTakenLiterally() {
    JobConfig c = JobConfig.load(null, List.of("input.path=s3a://bucket/logs/2024-*/part=*.csv#x", "input.format=csv",
        "input.delimiter=\\t", "run.ds=2024-01-01", "output.path=hdfs://nn/out/{ds}/x"));
    assertEquals("s3a://bucket/logs/2024-*/part=*.csv#x", InputSettings.of(c).path());
    assertEquals("\t", InputSettings.of(c).delimiter());
    assertEquals("hdfs://nn/out/2024-01-01/x", OutputSettings.of(c).path());
    assertEquals("hdfs://nn/out/{ds}/x", OutputSettings.of(c).pathTemplate());
    assertEquals(",", InputSettings.of(JobConfig.load(null, List.of("input.format=csv"))).delimiter());
    assertEquals("\t", InputSettings.of(JobConfig.load(null, List.of("input.format=tsv"))).delimiter());
  }

  @Test
  void invalidValuesNameKeyValueAndWhatIsAllowed() {
    assertInvalid("output.path=out/{ds}", "output.path", "out/{ds}", "run.ds");
    assertInvalid("split.testFraction=1", "split.testFraction", "1", "< 1");
    assertInvalid("input.format=xml", "input.format", "xml", "parquet, csv, tsv, gowalla");
    assertInvalid("input.badRecords=ignore", "input.badRecords", "ignore", "fail, skip");
    assertInvalid("split.method=given", "input.testPath", "\"\"", "split.method = given");
    assertInvalid("mode=generate", "input.path", "\"\"", "mode = generate");
  }

  private static void assertInvalid(String override, String key, String value, String allowed) {
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of(override)), override);
    assertEquals(key, e.key(), e.getMessage());
    String m = e.getMessage();
    assertTrue(m.contains("Invalid value for " + key + ": "), m);
    assertTrue(m.contains(value), "value " + value + " missing in: " + m);
    assertTrue(m.contains(allowed), "allowed '" + allowed + "' missing in: " + m);
  }

  @Test
  void fileWithoutLogqRootAndSubstitutions() throws Exception {
    Path f = dir.resolve("flat.conf");
    Files.writeString(f, "train.epochs = 4\ntrain.seed = ${logq.split.seed}\n", StandardCharsets.UTF_8);
    JobConfig c = JobConfig.load(f, List.of());
    assertEquals(4, c.train().epochs());
    assertEquals(11L, c.train().seed());
  }


  @Test
  void flagsWinOverKeyValue() {
    CommandLine cl = CommandLine.parse(new String[] {"--mode", "generate", "mode=train", "input.path=/tmp/x"});
    assertEquals(JobConfig.Mode.GENERATE, cl.config().mode());
    CommandLine none = CommandLine.parse(new String[0]);
    assertNull(none.confFile());
    assertNull(none.mode());
    assertEquals(JobConfig.defaults(), none.config());
  }


  @Test
  void effectiveConfigRoundTripsThroughHocon() {
    JobConfig c = JobConfig.load(null, List.of("train.epochs=3", "loss.type=STANDARD", "eval.k=1,5",
        "input.path=file:///tmp/x y/*.parquet", "run.ds=2024-05-01", "output.path=out/{ds}"));
    String hocon = c.toHocon();
    assertTrue(hocon.contains("epochs=3") || hocon.contains("epochs = 3"), hocon);
    JobConfig back = JobConfig.parse(hocon, "saved config", List.of());
    assertEquals(c, back);
    assertEquals(c.toMap(), back.toMap());
    assertEquals("standard", back.toMap().get("loss.type"));
    assertEquals(List.of(1, 5), back.toMap().get("eval.k"));
    assertEquals("out/2024-05-01", OutputSettings.of(back).path());
  }

  @Test
  void everyKeyIsDocumentedInConfLogqConf() throws Exception {
    // conf/logq.conf is the user-facing copy: it must list every key and nothing else.
    Path root = Path.of(System.getProperty("logq.projectRoot", ".."));
    Path userConf = root.resolve("conf/logq.conf");
    JobConfig fromFile = JobConfig.load(userConf, List.of());
    com.typesafe.config.Config parsed = com.typesafe.config.ConfigFactory.parseFile(userConf.toFile()).resolve();
    for (String key : JobConfig.knownKeys()) {
      assertTrue(parsed.hasPathOrNull("logq." + key), "conf/logq.conf lacks " + key);
    }
    assertEquals(JobConfig.defaults().toMap(), fromFile.toMap(), "conf/logq.conf should restate the defaults");
  }

  @Test
  void theExampleConfigurationsLoadAndSetWhatTheirBenchmarkRan() throws Exception {
    // conf/examples/ holds settings measured in docs/benchmarks.md: each must load (no renamed or misspelt key,
    // every value valid), and the sequence example must be the validation-chosen ML-1M setting it cites.
    Path examples = Path.of(System.getProperty("logq.projectRoot", "..")).resolve("conf/examples");
    List<Path> files;
    try (var listing = Files.list(examples)) {
      files = listing.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no examples in " + examples);
    for (Path file : files) {
      JobConfig.load(file, List.of());
    }
    // The command line of the benchmark run (bench/run-quality.sh's defaults, QualityBenchmark's ML-1M input and
    // split, then the docs' SEQ and D128 overrides): every key it set must come out the same from the example.
    var ran = JobConfig.parse("", "the ML-1M benchmark's command line", List.of(
        "model.userTower=id", "model.embeddingDim=64", "model.outputDim=64", "model.l2Normalize=true",
        "model.temperature=0.1", "train.optimizer=adam", "train.learningRate=0.02", "train.batchSize=512",
        "train.workers=2", "train.syncEvery=1", "train.epochs=10", "loss.standardCorrectPositive=true",
        "input.format=tsv", "input.header=true", "input.userColumn=user_id", "input.itemColumn=movie_id",
        "input.timestampColumn=timestamp", "input.weightColumn=", "split.method=leave-last-out",
        "model.userTower=sequence", "train.learningRate=0.005", "train.batchSize=64", "split.validationUsers=0",
        "train.epochs=24", "train.earlyStopping.patience=3",
        "model.sequenceLength=50", "model.embeddingDim=128", "model.outputDim=128",
        "loss.type=standard")).toMap();
    var example = JobConfig.load(examples.resolve("sequence-movielens-1m.conf"), List.of()).toMap();
    int compared = 0;
    for (var e : ran.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("output.") || key.equals("train.seed") || key.equals("mode")) {
        continue; // per run: where it writes, which seed
      }
      assertEquals(e.getValue(), example.get(key), key);
      compared++;
    }
    assertTrue(compared > 50, compared + " keys compared");
  }

  @Test
  void everyKeyIsInTheReadmeReference() throws Exception {
    Path readme = Path.of(System.getProperty("logq.projectRoot", "..")).resolve("README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    for (String key : JobConfig.knownKeys()) {
      assertTrue(text.contains("| `" + key + "` |"), "README.md's configuration reference lacks " + key);
    }
  }

  @Test
  void flagsAndOverrides() throws Exception {
    Path conf = dir.resolve("job.conf");
    Files.writeString(conf, "logq { train.epochs = 7, mode = train }\n");
    CommandLine cl = JobConfig.fromArgs(new String[] {"--conf", conf.toString(), "train.batchSize=64", "--overwrite",
        "--mode=compare", "--resume", "loss.type=standard"});
    assertEquals(conf, cl.confFile());
    assertTrue(cl.overwrite());
    assertTrue(cl.resume());
    assertFalse(cl.help());
    assertEquals(JobConfig.Mode.COMPARE, cl.mode());
    assertEquals(List.of("train.batchSize=64", "loss.type=standard"), cl.overrides());
    JobConfig c = cl.config();
    assertEquals(7, c.train().epochs());
    assertEquals(64, c.train().batchSize());
    assertEquals(JobConfig.Mode.COMPARE, c.mode());
    assertTrue(OutputSettings.of(c).overwrite());
    assertEquals(StandardLogQ.NAME, c.loss().type());
  }
}
