package dev.logq.job;

import dev.logq.common.config.JobConfig;
import dev.logq.job.eval.EvalResult;
import dev.logq.job.eval.EvalSettings;
import dev.logq.job.ingest.InputSettings;
import dev.logq.job.output.AtomicOutput;
import dev.logq.job.output.MetricsDocument;
import dev.logq.job.console.JobConsole;
import dev.logq.job.output.OutputSettings;
import dev.logq.job.report.ComparisonTable;
import dev.logq.job.report.CurvePoint;
import dev.logq.job.report.ReportWriter;
import dev.logq.job.report.RunSummary;
import dev.logq.job.split.SplitSettings;
import dev.logq.job.train.DistributedTrainer;
import dev.logq.job.train.TrainerState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a run: every trained model's metrics and training statistics into metrics.json, the comparison
 * table, and the report (charts need AWT fonts on the driver; without them only the table is written).
 */
final class RunReport {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  /**
   * One trained and evaluated model.
   *
   * @param placement train.placement as resolved for the user tower (example or user)
   */
  record Trained(String loss, EvalResult eval, Map<String, Double> planted, TrainerState state,
                 DistributedTrainer.SyncStats sync, double trainSeconds, Map<String, Object> earlyStopping,
                 String placement) {}

  private final JobConfig config;
  private final MetricsDocument metrics;

  RunReport(JobConfig config, MetricsDocument metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  /** The training curve's points, one per epoch, with the synchronised steps so far. */
  static List<CurvePoint> curve(TrainerState state) {
    List<CurvePoint> points = new ArrayList<>();
    long step = 0;
    for (TrainerState.EpochStats e : state.curve()) {
      step += e.rounds();
      points.add(new CurvePoint(e.epoch(), step, e.meanLoss(), e.examplesPerSecond(), e.validation()));
    }
    return points;
  }

  void logMetrics(String loss, EvalResult eval, Map<String, Double> planted) {
    StringBuilder line = new StringBuilder("Evaluation, loss=" + loss + ":");
    for (int k : config.eval().k()) {
      line.append(String.format(" Recall@%d=%.4f nDCG@%d=%.4f", k, eval.metric("recall@" + k), k,
          eval.metric("ndcg@" + k)));
    }
    if (!planted.isEmpty()) {
      line.append(String.format(" planted KL=%.4f TV=%.4f", planted.get("planted_kl"),
          planted.get("planted_total_variation")));
    }
    LOG.info(line.toString());
  }

  void write(AtomicOutput out, int users, int items, List<Trained> runs, double totalSeconds) throws IOException {
    List<RunSummary> summaries = new ArrayList<>();
    for (Trained t : runs) {
      Map<String, Double> all = new LinkedHashMap<>(t.eval().metrics());
      all.putAll(t.planted());
      metrics.metrics(t.loss(), all);
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("seconds", t.trainSeconds());
      training.put("rounds", t.state().globalRound());
      training.put("curve", t.state().curve());
      training.put("placement", t.placement());
      training.put("sync", t.sync());
      if (t.earlyStopping() != null) {
        training.put("validation", t.earlyStopping());
      }
      training.put("eval_counts", t.eval().counts());
      training.put("eval_seconds", t.eval().seconds());
      metrics.put("training_" + t.loss(), training);
      summaries.add(new RunSummary(t.loss(), all, curve(t.state()), t.trainSeconds()));
    }
    metrics.timing("total", totalSeconds);
    metrics.finishedNow();
    metrics.write(out);
    List<Integer> tableKs = tableKs();
    ComparisonTable table = new ComparisonTable(tableKs);
    String rendered = table.render(summaries);
    LOG.info("Results:\n{}", rendered);
    JobConsole.results(rendered);
    if (OutputSettings.of(config).report()) {
      Map<String, String> info = new LinkedHashMap<>();
      info.put("input", InputSettings.of(config).isSynthetic() ? "synthetic (" + config.synthetic().users() + " users, "
          + config.synthetic().items() + " items)" : InputSettings.of(config).path());
      info.put("split", SplitSettings.of(config).method().configName());
      info.put("users / items", users + " / " + items);
      info.put("workers x batch", config.train().workers() + " x " + config.train().batchSize());
      info.put("epochs", String.valueOf(config.train().epochs()));
      info.put("validation", SplitSettings.of(config).hasValidation() ? SplitSettings.of(config).validationLeaveLastOut()
          ? "leave-last-out of the training part" : SplitSettings.of(config).validationFraction() + " of the training part"
          : "none");
      try {
        ReportWriter.write(out, "report", "logq-spark: " + config.mode().configName(), info, summaries,
            EvalSettings.of(config.eval()).ks(), table, tableKs.get(0),
            SplitSettings.of(config).hasValidation() ? config.train().earlyStoppingMetric() : null);
      } catch (RuntimeException | Error e) {
        // Charts need AWT fonts on the driver; a missing font must not cost the trained model.
        LOG.warn("Could not draw the report ({}); writing the table only", e.toString());
        out.writeString("report/comparison.txt", rendered);
      }
    } else {
      out.writeString("report/comparison.txt", rendered);
    }
  }

  /** The table's two cut-offs: 10 and 20 when evaluated, else the largest of eval.k (no empty columns). */
  private List<Integer> tableKs() {
    List<Integer> evaluated = EvalSettings.of(config.eval()).ks();
    List<Integer> ks = new ArrayList<>();
    for (int k : ComparisonTable.DEFAULT_KS) {
      if (evaluated.contains(k)) {
        ks.add(k);
      }
    }
    List<Integer> sorted = new ArrayList<>(new TreeSet<>(evaluated));
    for (int i = sorted.size() - 1; i >= 0 && ks.size() < 2; i--) {
      if (!ks.contains(sorted.get(i))) {
        ks.add(sorted.get(i));
      }
    }
    Collections.sort(ks);
    return ks;
  }
}
