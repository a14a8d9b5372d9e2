package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.linalg.Exp;
import dev.logq.common.loss.RefinedLogQ;
import dev.logq.common.optim.Adam;
import dev.logq.common.optim.Optimizer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Thread CPU time of one training step's forward and backward pass ({@code lossAndGradient}) and of its Adam
 * update, on the workload of {@link TrainingThroughputBenchmark} (B = 1024, d = 64, Zipf(1) items). Used for
 * the before/after numbers in docs/decisions.md, "Training step: distinct in-batch columns and a vector exp":
 * run it on two commits, or with {@code -Dlogq.vectorExp=false} for the Math.exp path.
 *
 * <pre>mvn -o -Pbenchmarks -pl common test -Dtest=StepCostBenchmark [-DargLine=...]</pre>
 */
@Tag("benchmark")
class StepCostBenchmark {

  private static final int STEPS = 400;

  @Test
  void stepCost() {
    TrainingThroughputBenchmark.Workload work =
        TrainingThroughputBenchmark.Workload.create(20_000, 10_000, 1024, STEPS, 11L);
    ModelSpec spec = TrainingThroughputBenchmark.spec(work.users, work.items);
    TwoTowerModel model = new TwoTowerModel(spec);
    TensorStore params = TwoTowerModel.initialParameters(spec);
    for (String name : params.tableNames()) {
      params.table(name).materializeAll();
    }
    Optimizer adam = new Adam(0.005, 0.9, 0.999, 1e-8);
    TensorStore state = adam.newState(params);
    RefinedLogQ loss = new RefinedLogQ();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double[] forwardBackward = new double[STEPS];
    double[] update = new double[STEPS];
    long columns = 0;
    double last = 0;
    for (int i = 0; i < STEPS; i++) {
      Batch batch = work.batch(i);
      columns += Arrays.stream(batch.items).distinct().count();
      long t0 = mx.getCurrentThreadCpuTime();
      TensorPatch grad = new TensorPatch();
      last = model.lossAndGradient(params, batch, loss, work.logQ, 0, null, grad);
      long t1 = mx.getCurrentThreadCpuTime();
      adam.step(params, state, grad, i + 1);
      forwardBackward[i] = (t1 - t0) / 1e6;
      update[i] = (mx.getCurrentThreadCpuTime() - t1) / 1e6;
    }
    String line = String.format(Locale.ROOT,
        "lossAndGradient %.2f CPU-ms (median of the last %d steps), Adam %.2f; %.0f distinct items per batch of 1024;"
            + " %s; last loss %.9f", median(forwardBackward), STEPS - STEPS / 3, median(update),
        (double) columns / STEPS, Exp.describe(), last);
    System.out.println(line);
    assertTrue(Double.isFinite(last));
  }

  /** Median after the first third (JIT warm-up). */
  private static double median(double[] values) {
    double[] tail = Arrays.copyOfRange(values, values.length / 3, values.length);
    Arrays.sort(tail);
    return tail[tail.length / 2];
  }
}
