package dev.logq.common.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.config.JobConfig.Mode;
import dev.logq.common.error.ConfigException;
import dev.logq.common.error.ExitCode;
import dev.logq.common.loss.NoCorrection;
import dev.logq.common.loss.RefinedLogQ;
import dev.logq.common.loss.StandardLogQ;
import dev.logq.common.loss.UniformBce;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

  @TempDir
  Path dir;

  private Path write(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text, StandardCharsets.UTF_8);
    return p;
  }

  @Test
  void defaultsMatchReferenceConf() {
    JobConfig c = JobConfig.defaults();
    assertEquals(Mode.TRAIN, c.mode());
    assertEquals(512, c.train().batchSize());
    assertEquals(5, c.train().epochs());
    assertEquals(RefinedLogQ.NAME, c.loss().type());
    assertArrayEquals(new int[] {1, 10, 20, 100}, c.eval().k());
    assertEquals(0.05, c.model().temperature());
    assertEquals(0, c.model().userMlp().length);
    assertEquals(7L, c.synthetic().seed());
    // every key of reference.conf is in the effective map (the constructor also checks this)
    assertEquals(JobConfig.knownKeys(), new java.util.TreeSet<>(c.toMap().keySet()));
  }

  @Test
  void userFileThenOverridesWithAndWithoutPrefix() throws Exception {
    Path f = write("my.conf", "logq {\n  train { epochs = 9, batchSize = 128 }\n  loss.type = standard\n}\n");
    JobConfig c = JobConfig.load(f, List.of("train.epochs=3", "logq.model.temperature=0.1", "eval.k=[5, 50]"));
    assertEquals(3, c.train().epochs());            // override beats file
    assertEquals(128, c.train().batchSize());       // file beats reference
    assertEquals(StandardLogQ.NAME, c.loss().type());
    assertEquals(0.1, c.model().temperature());
    assertArrayEquals(new int[] {5, 50}, c.eval().k());
    assertEquals(1, JobConfig.load(null, List.of("eval.k=1")).eval().k()[0]);
    assertArrayEquals(new int[] {1, 2, 3}, JobConfig.load(null, List.of("eval.k=1, 2,3")).eval().k());
    assertArrayEquals(new int[] {64, 32}, JobConfig.load(null, List.of("model.userMlp=64,32", "model.itemMlp=[16]")).model().userMlp());
    assertEquals(0, JobConfig.load(null, List.of("model.userMlp=64", "model.userMlp=")).model().userMlp().length);
  }

  @Test
  void unknownOverrideKeyNamesKeyAndSuggests() {
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("train.batchsize=5")));
    assertEquals("train.batchsize", e.key());
    assertTrue(e.getMessage().contains("'train.batchsize'"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'train.batchSize'"), e.getMessage());
    assertTrue(e.getMessage().contains("command line: train.batchsize=5"), e.getMessage());
    assertEquals(ExitCode.BAD_CONFIGURATION, ExitCode.of(e));
    assertEquals(2, ExitCode.of(e).code());

    ConfigException far = assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("completely.unrelated=1")));
    assertTrue(far.getMessage().contains("'completely.unrelated'"), far.getMessage());
    assertFalse(far.getMessage().contains("did you mean"), far.getMessage());

    ConfigException section = assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("train=5")));
    assertTrue(section.getMessage().contains("'train'"), section.getMessage());

    ConfigException wrongSection = assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("batchSize=5")));
    assertTrue(wrongSection.getMessage().contains("did you mean 'train.batchSize'"), wrongSection.getMessage());
  }

  @Test
  void unknownFileKeyNamesKeyFileAndLine() throws Exception {
    Path f = write("typo.conf", "logq {\n  train {\n    epochs = 2\n    learningrate = 0.1\n  }\n  los { type = none }\n}\n");
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(f, List.of()));
    assertEquals("train.learningrate", e.key());
    assertTrue(e.getMessage().contains("'train.learningrate'"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean 'train.learningRate'"), e.getMessage());
    assertTrue(e.getMessage().contains("typo.conf: 4"), e.getMessage());
    // every problem is reported, not just the first
    assertTrue(e.getMessage().contains("'los.type'") && e.getMessage().contains("did you mean 'loss.type'"), e.getMessage());

    Path outside = write("outside.conf", "logq { train.epochs = 2 }\nloss.type = none\n");
    ConfigException o = assertThrows(ConfigException.class, () -> JobConfig.load(outside, List.of()));
    assertTrue(o.getMessage().contains("'loss.type' is outside the logq { } section"), o.getMessage());

    Path leafAsObject = write("obj.conf", "logq.train.epochs { a = 1 }\n");
    ConfigException lo = assertThrows(ConfigException.class, () -> JobConfig.load(leafAsObject, List.of()));
    assertTrue(lo.getMessage().contains("'train.epochs' is a key, not a section"), lo.getMessage());
  }

  @Test
  void invalidValuesNameKeyValueAndWhatIsAllowed() {
    assertInvalid("loss.type=foo", "loss.type", "\"foo\"", "none, standard, refined, full, uniform-bce");
    assertInvalid("train.batchSize=0", "train.batchSize", "0", "an integer from 1");
    assertInvalid("train.batchSize=-3", "train.batchSize", "-3", "an integer from 1");
    assertInvalid("train.batchSize=abc", "train.batchSize", "\"abc\"", "an integer");
    assertInvalid("train.epochs=2.5", "train.epochs", "2.5", "an integer");
    assertInvalid("model.temperature=0", "model.temperature", "0", "> 0");
    assertInvalid("model.temperature=NaN", "model.temperature", "NaN", "> 0");
    assertInvalid("model.l2Normalize=maybe", "model.l2Normalize", "maybe", "true or false");
    assertInvalid("eval.k=[1, 0]", "eval.k", "[1,0]", "integers >= 1");
    assertInvalid("eval.k=", "eval.k", "[]", "at least one");
    assertInvalid("eval.k=5,5", "eval.k", "[5, 5]", "distinct");
    assertInvalid("model.outputDim=32", "model.outputDim", "32", "model.embeddingDim (64)");
    // with MLPs the output dimension is free
    assertEquals(32, JobConfig.load(null, List.of("model.outputDim=32", "model.userMlp=[128]", "model.itemMlp=[128]")).model().outputDim());
    // numbers written like 1e3 are integers
    assertEquals(1000, JobConfig.load(null, List.of("train.batchSize=1e3")).train().batchSize());
    // enumerated values ignore case
    assertEquals(UniformBce.NAME, JobConfig.load(null, List.of("loss.type=Uniform-BCE")).loss().type());
  }

  @Test
  void allInvalidValuesAreReportedTogether() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> JobConfig.load(null, List.of("train.batchSize=0", "train.epochs=0", "loss.type=foo")));
    assertTrue(List.of("train.batchSize", "train.epochs", "loss.type").contains(e.key()), e.key());
    assertTrue(e.getMessage().contains("train.batchSize") && e.getMessage().contains("train.epochs") && e.getMessage().contains("loss.type"), e.getMessage());
  }

  @Test
  void invalidValueInFileNamesTheFile() throws Exception {
    Path f = write("bad.conf", "logq.train.batchSize = \"lots\"\n");
    ConfigException e = assertThrows(ConfigException.class, () -> JobConfig.load(f, List.of()));
    assertTrue(e.getMessage().contains("train.batchSize") && e.getMessage().contains("lots")
        && e.getMessage().contains("bad.conf"), e.getMessage());
    ConfigException missing = assertThrows(ConfigException.class, () -> JobConfig.load(dir.resolve("nope.conf"), List.of()));
    assertTrue(missing.getMessage().contains("nope.conf"), missing.getMessage());
    Path broken = write("broken.conf", "logq { train { epochs = 3 }\n");
    ConfigException parse = assertThrows(ConfigException.class, () -> JobConfig.load(broken, List.of()));
    assertTrue(parse.getMessage().contains("broken.conf"), parse.getMessage());
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
  void withOverridesKeepsEverythingElse() {
    JobConfig c = JobConfig.load(null, List.of("train.epochs=3"));
    JobConfig none = c.withOverrides("loss.type=none");
    assertEquals(NoCorrection.NAME, none.loss().type());
    assertEquals(3, none.train().epochs());
    assertEquals(RefinedLogQ.NAME, c.loss().type());
  }

  @Test
  void serializable() throws Exception {
    JobConfig c = JobConfig.load(null, List.of("train.epochs=3", "model.userMlp=[8]", "model.itemMlp=[8]"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(c);
    }
    JobConfig back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (JobConfig) in.readObject();
    }
    assertEquals(c, back);
    assertEquals(3, back.train().epochs());
    assertArrayEquals(new int[] {8}, back.model().itemMlp());
  }

  @Test
  void suggestions() {
    assertEquals("train.batchSize", JobConfig.suggest("train.batchsize"));
    assertEquals("train.learningRate", JobConfig.suggest("train.learningRte"));
    assertEquals("eval.k", JobConfig.suggest("logq.eval.K"));
    assertNull(JobConfig.suggest("zzzzzzzzzzzz"));
  }

  @Test
  void toMapIsUnmodifiable() {
    Map<String, Object> m = JobConfig.defaults().toMap();
    assertThrows(UnsupportedOperationException.class, () -> m.put("x", 1));
  }
}
