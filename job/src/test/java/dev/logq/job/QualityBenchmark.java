package dev.logq.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.logq.common.config.JobConfig;
import dev.logq.job.baseline.AlsBaseline;
import dev.logq.job.eval.EvalResult;
import dev.logq.job.testutil.SharedData;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quality benchmark of docs/benchmarks.md ("Quality: MovieLens-1M and Gowalla"); run it with
 * {@code bench/run-quality.sh}, which documents the options.
 *
 * <p>Per data set it runs the job itself ({@link Main#run}, {@code --mode compare}: none, standard,
 * refined and, below 20k items, full, on one split), repeats the logQ losses (or any others) with
 * further training seeds ({@code --mode train}), then scores the most-popular ranking and Spark MLlib
 * ALS (implicit) trained on the same prepared split ({@link Pipeline#prepare}), evaluated by the same
 * evaluator ({@link Pipeline#evaluate}).
 * Every two-tower run gets the same configuration; only train.seed changes between seeds.
 *
 * <p>Phases: {@code test} evaluates on the test split (ML-1M: each user's last interaction; Gowalla:
 * test.txt, trained on train.txt + valid.txt, the original LightGCN training set); {@code valid} is
 * for tuning and never sees the test interactions (ML-1M: the last interaction of every user is dropped
 * first, so the held-out item is the second-to-last; Gowalla: trained on train.txt, evaluated on valid.txt).
 */
public final class QualityBenchmark {

  private static final Logger LOG = LoggerFactory.getLogger(QualityBenchmark.class);
  private static final List<String> LOGQ_LOSSES = List.of("standard", "refined");

  private final SparkSession spark;
  private final Path work;
  private final String phase;
  private final String tag;
  private final List<Long> seeds;
  private final List<String> seedLosses;
  private final List<String> onlyLosses;
  private final List<AlsBaseline.Settings> alsGrid;
  private final boolean baselines;
  private final boolean fullAlways;
  private final int largeFullEpochs;
  private final List<String> trainOverrides;
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private QualityBenchmark(SparkSession spark, Options o) {
    this.spark = spark;
    this.work = o.work;
    this.phase = o.phase;
    this.tag = name(o.phase, o.tag);
    this.seeds = o.seeds;
    this.seedLosses = o.seedLosses;
    this.onlyLosses = o.onlyLosses;
    this.alsGrid = o.alsGrid;
    this.baselines = o.baselines;
    this.fullAlways = o.fullAlways;
    this.largeFullEpochs = o.largeFullEpochs;
    this.trainOverrides = o.overrides;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Files.createDirectories(o.work);
    SparkSession spark = SparkSession.builder()
        .master(o.master)
        .appName("logq-quality-benchmark")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.local.dir", o.work.resolve("spark-tmp").toString())
        .getOrCreate();
    spark.sparkContext().setCheckpointDir(o.work.resolve("spark-checkpoints").toString());
    int failures = 0;
    try {
      QualityBenchmark bench = new QualityBenchmark(spark, o);
      for (String name : o.datasets) {
        failures += bench.runDataset(name);
      }
    } finally {
      spark.stop();
    }
    System.exit(failures == 0 ? 0 : 1);
  }

  /** Runs one data set; returns the number of failed job runs. */
  private int runDataset(String name) throws Exception {
    long started = System.nanoTime();
    List<String> base = datasetOverrides(name);
    List<String> common = new ArrayList<>(base);
    common.addAll(List.of("eval.k=10,20", "eval.filterSeen=true", "output.writeEmbeddings=false", "output.overwrite=true"));
    common.addAll(trainOverrides);
    Path out = work.resolve("runs").resolve(name + "-" + tag);
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("dataset", name);
    results.put("phase", phase);
    results.put("startedAt", Instant.now().toString());
    results.put("overrides", common);
    List<Map<String, Object>> rows = new ArrayList<>();
    int failures = 0;

    for (int s = 0; s < seeds.size(); s++) {
      long seed = seeds.get(s);
      List<String> withSeed = new ArrayList<>(common);
      withSeed.add("train.seed=" + seed);
      if (s == 0 && onlyLosses.isEmpty()) {
        failures += runJob(withSeed, "compare", out.resolve("compare-seed" + seed), seed, rows);
        writeResults(name, results, rows, started);
      } else {
        List<String> losses = s == 0 ? onlyLosses : (onlyLosses.isEmpty() ? seedLosses : intersect(onlyLosses, seedLosses));
        for (String loss : losses) {
          List<String> one = new ArrayList<>(withSeed);
          one.add("loss.type=" + loss);
          failures += runJob(one, "train", out.resolve(loss + "-seed" + seed), seed, rows);
          writeResults(name, results, rows, started);
        }
      }
    }

    if (baselines) {
      rows.addAll(runBaselines(common, alsGrid.isEmpty() ? tunedAls(name) : alsGrid));
      writeResults(name, results, rows, started);
    }
    // compare mode leaves the full softmax out on large catalogs (O(catalog) per step); the
    // benchmark still wants it, so it runs last, on its own, with the first seed.
    // Its cost grows with the catalog (one epoch over Gowalla's 40,981 items costs as much as about 25 epochs of
    // in-batch training here), so it gets --large-full-epochs epochs, next to standard on the same budget.
    boolean hasFull = rows.stream().anyMatch(r -> "full".equals(r.get("method")));
    if (!hasFull && onlyLosses.isEmpty() && !seeds.isEmpty() && fullAlways) {
      for (String loss : List.of("standard", "full")) {
        List<String> one = new ArrayList<>(common);
        one.add("train.seed=" + seeds.get(0));
        one.add("loss.type=" + loss);
        one.add("train.epochs=" + largeFullEpochs);
        int before = rows.size();
        failures += runJob(one, "train", out.resolve(loss + "-epochs" + largeFullEpochs), seeds.get(0), rows);
        for (Map<String, Object> row : rows.subList(before, rows.size())) {
          row.put("label", loss + ", " + largeFullEpochs + (largeFullEpochs == 1 ? " epoch" : " epochs"));
        }
        writeResults(name, results, rows, started);
      }
    }
    Path resultFile = writeResults(name, results, rows, started);
    LOG.info("{} ({}) done in {} s; results in {}\n{}", name, phase,
        String.format(Locale.ROOT, "%.0f", (System.nanoTime() - started) / 1e9), resultFile, markdown(name, rows));
    return failures;
  }

  /** Writes what is measured so far: a long run that is stopped keeps its finished rows. */
  private Path writeResults(String name, Map<String, Object> results, List<Map<String, Object>> rows, long started)
      throws IOException {
    results.put("rows", rows);
    results.put("seconds", (System.nanoTime() - started) / 1e9);
    results.put("finishedAt", Instant.now().toString());
    Path resultFile = work.resolve("results").resolve(name + "-" + tag + ".json");
    Files.createDirectories(resultFile.getParent());
    json.writeValue(resultFile.toFile(), results);
    Files.writeString(work.resolve("results").resolve(name + "-" + tag + ".md"), markdown(name, rows));
    return resultFile;
  }

  /**
   * ALS settings chosen on each data set's validation phase (grid over regParam 0.01/0.1/1 and
   * alpha 1/10/40 at rank 64, 15 iterations; docs/benchmarks.md): used when no --als-* option is given.
   */
  private static List<AlsBaseline.Settings> tunedAls(String dataset) {
    return switch (dataset) {
      case "ml-1m" -> List.of(new AlsBaseline.Settings(64, 15, 0.1, 1.0, 10, 1L));
      case "gowalla" -> List.of(new AlsBaseline.Settings(64, 15, 1.0, 40.0, 10, 1L));
      default -> List.of(new AlsBaseline.Settings(64, 15, 0.1, 10.0, 10, 1L));
    };
  }

  private int runJob(List<String> overrides, String mode, Path output, long seed, List<Map<String, Object>> rows)
      throws IOException {
    List<String> args = new ArrayList<>();
    args.add("--mode");
    args.add(mode);
    args.addAll(overrides);
    args.add("output.path=" + output.toUri());
    LOG.info("Running the job: {}", String.join(" ", args));
    long t0 = System.nanoTime();
    int code = Main.run(args.toArray(String[]::new));
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (code != 0) {
      LOG.error("The job failed with exit code {}: {}", code, args);
      return 1;
    }
    JsonNode m = json.readTree(output.resolve("metrics.json").toFile());
    m.get("metrics").fields().forEachRemaining(e -> {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("method", e.getKey());
      row.put("seed", seed);
      e.getValue().fields().forEachRemaining(v -> row.put(v.getKey(), v.getValue().isNull() ? null : v.getValue().asDouble()));
      JsonNode training = m.get("training_" + e.getKey());
      if (training != null) {
        row.put("train_seconds", training.get("seconds").asDouble());
        JsonNode curve = training.get("curve");
        if (curve != null && curve.size() > 0) {
          row.put("last_epoch_loss", curve.get(curve.size() - 1).path("meanLoss").asDouble(Double.NaN));
        }
      }
      row.put("job_seconds", seconds);
      rows.add(row);
    });
    return 0;
  }

  /**
   * The baselines on the pipeline's own split and evaluator: most-popular (a sanity floor: every
   * user gets the training counts' ranking, via one-dimensional embeddings user = 1, item = log count)
   * and ALS, one row per grid point.
   */
  private List<Map<String, Object>> runBaselines(List<String> overrides, List<AlsBaseline.Settings> grid) {
    List<String> args = new ArrayList<>(overrides);
    args.add("mode=train");
    JobConfig config = JobConfig.load(null, args);
    Pipeline pipeline = new Pipeline(spark, config, false);
    long t0 = System.nanoTime();
    Pipeline.Prepared prepared = pipeline.prepare();
    LOG.info("Baselines: data prepared in {} s", String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
    List<Map<String, Object>> rows = new ArrayList<>();
    rows.add(popularity(pipeline, prepared));
    for (AlsBaseline.Settings s : grid) {
      AlsBaseline.Factors f = AlsBaseline.fit(prepared.train(), s);
      try {
        EvalResult eval = pipeline.evaluate(prepared, f.users(), f.items());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("rank", s.rank());
        settings.put("maxIter", s.maxIter());
        settings.put("regParam", s.regParam());
        settings.put("alpha", s.alpha());
        Map<String, Object> row = baselineRow("als", s.seed(), eval, f.trainSeconds());
        row.put("als", settings);
        rows.add(row);
        LOG.info("ALS {}: recall@10 {} ndcg@10 {} recall@20 {} ndcg@20 {}", s, eval.metric("recall@10"),
            eval.metric("ndcg@10"), eval.metric("recall@20"), eval.metric("ndcg@20"));
      } finally {
        f.unpersist();
      }
    }
    prepared.train().unpersist();
    prepared.test().unpersist();
    return rows;
  }

  private Map<String, Object> popularity(Pipeline pipeline, Pipeline.Prepared prepared) {
    double[] counts = prepared.logQ().counts();
    List<Row> items = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      items.add(RowFactory.create(i, List.of((float) Math.log(counts[i]))));
    }
    StructType itemSchema = new StructType().add("item_idx", DataTypes.IntegerType, false)
        .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    Dataset<Row> itemEmb = spark.createDataFrame(items, itemSchema);
    Dataset<Row> userEmb = prepared.train().select("user_idx").distinct()
        .withColumn("embedding", functions.array(functions.lit(1f)));
    EvalResult eval = pipeline.evaluate(prepared, userEmb, itemEmb);
    LOG.info("Most popular: recall@10 {} ndcg@10 {}", eval.metric("recall@10"), eval.metric("ndcg@10"));
    return baselineRow("popularity", 0, eval, 0);
  }

  private static Map<String, Object> baselineRow(String method, long seed, EvalResult eval, double trainSeconds) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("method", method);
    row.put("seed", seed);
    row.putAll(eval.metrics());
    row.put("train_seconds", trainSeconds);
    row.put("eval_seconds", eval.seconds());
    return row;
  }

  /** Input and split settings of a data set in this phase (extracting the archive on first use). */
  private List<String> datasetOverrides(String name) throws IOException {
    Path dir = work.resolve("data");
    Files.createDirectories(dir);
    switch (name) {
      case "ml-1m": {
        Path ratings = extracted("ml-1m.tar.gz", "ml-1m/ratings_pos4.tsv", dir.resolve("ml-1m"));
        Path input = phase.equals("valid") ? withoutLastPerUser(ratings, dir.resolve("ml-1m-valid")) : ratings;
        return List.of("input.path=" + input.toUri(), "input.format=tsv", "input.header=true",
            "input.userColumn=user_id", "input.itemColumn=movie_id", "input.timestampColumn=timestamp",
            "input.weightColumn=", "split.method=leave-last-out");
      }
      case "gowalla": {
        Path gdir = dir.resolve("gowalla");
        Path train = extracted("gowalla.tar.gz", "gowalla/train.txt", gdir);
        Path valid = extracted("gowalla.tar.gz", "gowalla/valid.txt", gdir);
        Path test = extracted("gowalla.tar.gz", "gowalla/test.txt", gdir);
        String input = phase.equals("valid") ? train.toUri().toString()
            : train.toUri() + "," + valid.toUri();
        String testPath = phase.equals("valid") ? valid.toUri().toString() : test.toUri().toString();
        return List.of("input.path=" + input, "input.format=gowalla", "split.method=given",
            "input.testPath=" + testPath);
      }
      default:
        throw new IllegalArgumentException("unknown data set " + name + " (ml-1m or gowalla)");
    }
  }

  private Path extracted(String archiveName, String entry, Path dir) throws IOException {
    Path target = dir.resolve(Path.of(entry).getFileName().toString());
    if (Files.isRegularFile(target)) {
      return target;
    }
    Path archive = SharedData.archive(archiveName);
    if (archive == null) {
      throw new IOException(archiveName + " not found under " + SharedData.directory().toAbsolutePath()
          + " (set -Dlogq.sharedData or LOGQ_SHARED_DATA)");
    }
    Files.createDirectories(dir);
    return SharedData.extract(archive, entry, dir);
  }

  /**
   * The ratings without each user's latest interaction, chosen exactly as the leave-last-out split
   * chooses it (largest timestamp, then largest item id as a string; users with one interaction keep it).
   */
  static Path withoutLastPerUser(Path ratings, Path dir) throws IOException {
    Path out = dir.resolve("ratings_pos4_without_last.tsv");
    if (Files.isRegularFile(out)) {
      return out;
    }
    Files.createDirectories(dir);
    List<String> lines = Files.readAllLines(ratings, StandardCharsets.UTF_8);
    String header = lines.get(0);
    List<String> cols = Arrays.asList(header.split("\t"));
    int userCol = cols.indexOf("user_id");
    int itemCol = cols.indexOf("movie_id");
    int timeCol = cols.indexOf("timestamp");
    Map<String, Integer> latest = new HashMap<>();
    Map<String, Integer> count = new HashMap<>();
    List<String[]> rows = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split("\t");
      rows.add(f);
      String user = f[userCol].trim();
      count.merge(user, 1, Integer::sum);
      Integer best = latest.get(user);
      if (best == null || later(f, rows.get(best), timeCol, itemCol)) {
        latest.put(user, rows.size() - 1);
      }
    }
    try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      w.write(header);
      w.newLine();
      for (int i = 0; i < rows.size(); i++) {
        String user = rows.get(i)[userCol].trim();
        if (count.get(user) >= 2 && latest.get(user) == i) {
          continue;
        }
        w.write(String.join("\t", rows.get(i)));
        w.newLine();
      }
    }
    return out;
  }

  private static boolean later(String[] a, String[] b, int timeCol, int itemCol) {
    int byTime = Long.compare(Long.parseLong(a[timeCol].trim()), Long.parseLong(b[timeCol].trim()));
    return byTime != 0 ? byTime > 0 : a[itemCol].trim().compareTo(b[itemCol].trim()) > 0;
  }

  /** Mean (and, with several seeds, min-max) per method: the table for docs/benchmarks.md. */
  static String markdown(String dataset, List<Map<String, Object>> rows) {
    String[] metrics = {"recall@10", "recall@20", "ndcg@10", "ndcg@20", "recall@10/head", "recall@10/torso",
        "recall@10/tail"};
    Map<String, List<Map<String, Object>>> byMethod = new LinkedHashMap<>();
    for (Map<String, Object> r : rows) {
      String key = r.containsKey("label") ? (String) r.get("label")
          : r.get("method").equals("als") ? "ALS " + r.get("als") : (String) r.get("method");
      byMethod.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(dataset).append(" | seeds | Recall@10 | Recall@20 | nDCG@10 | nDCG@20 | head R@10 | torso R@10 | tail R@10 | train s |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, List<Map<String, Object>>> e : byMethod.entrySet()) {
      List<Map<String, Object>> rs = e.getValue();
      sb.append("| ").append(e.getKey()).append(" | ").append(rs.size());
      for (String m : metrics) {
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Map<String, Object> r : rs) {
          double v = r.get(m) == null ? Double.NaN : ((Number) r.get(m)).doubleValue();
          sum += v;
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        sb.append(" | ").append(String.format(Locale.ROOT, "%.4f", sum / rs.size()));
        if (rs.size() > 1) {
          sb.append(String.format(Locale.ROOT, " (%.4f-%.4f)", min, max));
        }
      }
      double secs = rs.stream().mapToDouble(r -> ((Number) r.getOrDefault("train_seconds", Double.NaN)).doubleValue())
          .average().orElse(Double.NaN);
      sb.append(" | ").append(String.format(Locale.ROOT, "%.0f", secs)).append(" |\n");
    }
    return sb.toString();
  }

  private static String name(String phase, String tag) {
    return tag.isEmpty() ? phase : phase + "-" + tag;
  }

  private static List<String> intersect(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.retainAll(b);
    return out;
  }

  /** Command-line options; anything of the form key=value is a job configuration override. */
  private static final class Options {
    Path work = Path.of("target/quality-bench");
    String master = "local[2]";
    String phase = "test";
    String tag = "";
    List<String> datasets = List.of("ml-1m", "gowalla");
    List<Long> seeds = List.of(1L);
    List<String> seedLosses = LOGQ_LOSSES;
    List<String> onlyLosses = List.of();
    List<AlsBaseline.Settings> alsGrid = new ArrayList<>();
    boolean baselines = true;
    boolean fullAlways = true;
    int largeFullEpochs = 1;
    List<String> overrides = new ArrayList<>();

    static Options parse(String[] args) {
      Options o = new Options();
      List<Integer> ranks = List.of(64);
      List<Integer> iters = List.of(15);
      List<Double> regs = List.of(0.1);
      List<Double> alphas = List.of(10.0);
      boolean alsGiven = false;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String v = i + 1 < args.length ? args[i + 1] : null;
        switch (a) {
          case "--work" -> { o.work = Path.of(v); i++; }
          case "--master" -> { o.master = v; i++; }
          case "--phase" -> { o.phase = v; i++; }
          case "--tag" -> { o.tag = v; i++; }
          case "--datasets" -> { o.datasets = List.of(v.split(",")); i++; }
          case "--seeds" -> { o.seeds = v.isEmpty() ? List.of() : Arrays.stream(v.split(",")).map(Long::parseLong).toList(); i++; }
          case "--seed-losses" -> { o.seedLosses = List.of(v.split(",")); i++; }
          case "--losses" -> { o.onlyLosses = v.isEmpty() ? List.of() : List.of(v.split(",")); i++; }
          case "--als-rank" -> { alsGiven = true; ranks = Arrays.stream(v.split(",")).map(Integer::parseInt).toList(); i++; }
          case "--als-iter" -> { alsGiven = true; iters = Arrays.stream(v.split(",")).map(Integer::parseInt).toList(); i++; }
          case "--als-reg" -> { alsGiven = true; regs = Arrays.stream(v.split(",")).map(Double::parseDouble).toList(); i++; }
          case "--als-alpha" -> { alsGiven = true; alphas = Arrays.stream(v.split(",")).map(Double::parseDouble).toList(); i++; }
          case "--no-baselines", "--no-als" -> o.baselines = false;
          case "--no-large-full" -> o.fullAlways = false;
          case "--large-full-epochs" -> { o.largeFullEpochs = Integer.parseInt(v); i++; }
          default -> {
            if (!a.contains("=") || a.startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + a);
            }
            o.overrides.add(a);
          }
        }
      }
      if (!o.phase.equals("test") && !o.phase.equals("valid")) {
        throw new IllegalArgumentException("--phase must be test or valid, got " + o.phase);
      }
      if (o.baselines && alsGiven) {
        for (int r : ranks) {
          for (int it : iters) {
            for (double reg : regs) {
              for (double alpha : alphas) {
                o.alsGrid.add(new AlsBaseline.Settings(r, it, reg, alpha, 10, 1L));
              }
            }
          }
        }
      }
      return o;
    }
  }
}
