package dev.logq.common.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.linalg.Matrices;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The measurement behind docs/decisions.md ("Gradients: hand-derived vs SameDiff", "Matrix products: plain
 * Java vs ND4J gemm"): one in-batch refined-logQ step, forward and backward, B = 1024, d = 64, float32,
 * (a) hand-derived (Matrices + RefinedLogQ) against (b) SameDiff autodiff of the same loss, and the three
 * matrix products alone, all in one JVM with the variants interleaved so that machine noise hits them alike.
 *
 * <p>Run: {@code mvn -B -o -Pbenchmarks -pl common test -Dtest=GradientPathBenchmark}; the table is in
 * common/target/surefire-reports/dev.logq.common.loss.GradientPathBenchmark-output.txt.
 */
@Tag("benchmark")
class GradientPathBenchmark {

  private static final int ROWS = 1024;
  private static final int D = 64;
  private static final int CATALOG = 5000;
  private static final float INV_TAU = 20f; // tau = 0.05 on unit vectors: scores in [-20, 20]
  private static final int WARMUP = 8;
  private static final int REPS = 30;

  private final Map<String, double[]> times = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();

  @Test
  void measure() {
    Random random = new Random(42);
    float[] u = unitRows(random);
    float[] v = unitRows(random);
    double[] q = LossFixtures.zipf(CATALOG, 1.0);
    double[] logQ = new double[CATALOG];
    for (int i = 0; i < CATALOG; i++) {
      logQ[i] = Math.log(q[i]);
    }
    double[] cumulative = new double[CATALOG];
    double acc = 0;
    for (int i = 0; i < CATALOG; i++) {
      acc += q[i];
      cumulative[i] = acc;
    }
    int[] items = new int[ROWS];
    for (int b = 0; b < ROWS; b++) {
      int i = Arrays.binarySearch(cumulative, random.nextDouble());
      items[b] = Math.min(CATALOG - 1, i >= 0 ? i + 1 : -i - 1);
    }
    long distinct = Arrays.stream(items).distinct().count();
    notes.add("batch: " + ROWS + " positives drawn from Zipf(1) over " + CATALOG + " items, " + distinct
        + " distinct (the rest are accidental hits)");

    // (a) hand-derived
    HandInBatchStep hand = new HandInBatchStep(ROWS, D);
    RefinedLogQ refined = new RefinedLogQ();
    hand.run(refined, u, v, items, logQ, CATALOG, INV_TAU);
    float[] handDu = hand.du.clone();
    float[] handDv = hand.dv.clone();

    // (b) SameDiff: the tree-shaped graph (correct in M2) and the natural one (zero gradients in M2)
    SameDiffInBatch tree = SameDiffInBatch.build(SameDiffInBatch.Kind.REFINED, u, v, ROWS, D, items, logQ, INV_TAU,
        DataType.FLOAT);
    SameDiffInBatch natural = SameDiffInBatch.build(SameDiffInBatch.Kind.REFINED_NATURAL, u, v, ROWS, D, items,
        logQ, INV_TAU, DataType.FLOAT);
    Map<String, INDArray> treeGrads = tree.gradients();
    double scale = Math.max(maxAbs(handDu), maxAbs(handDv));
    double diffU = maxAbsDiff(handDu, treeGrads.get("U").ravel().toFloatVector());
    double diffV = maxAbsDiff(handDv, treeGrads.get("V").ravel().toFloatVector());
    notes.add(String.format("hand vs SameDiff (tree graph), float32: max |diff| dU %.2e, dV %.2e, max |grad| %.2e;"
        + " loss %.7f vs %.7f", diffU, diffV, scale, hand.lastLoss, tree.lossValue()));
    Map<String, INDArray> naturalGrads = natural.gradients();
    notes.add(String.format("SameDiff natural graph (score matrix shared), float32: max |dU| %.2e, max |dV| %.2e"
        + " (true max %.2e): deeplearning4j#9655", maxAbs(naturalGrads.get("U").ravel().toFloatVector()),
        maxAbs(naturalGrads.get("V").ravel().toFloatVector()), scale));
    assertTrue(diffU < 1e-3 * scale && diffV < 1e-3 * scale, "the tree graph must match the hand gradients");

    // the three products alone
    float[] g = hand.gradScores.clone();
    float[] scores = new float[ROWS * ROWS];
    float[] out = new float[ROWS * D];
    INDArray uNd = Nd4j.createFromArray(u).reshape(ROWS, D);
    INDArray vNd = Nd4j.createFromArray(v).reshape(ROWS, D);
    INDArray gNd = Nd4j.createFromArray(g).reshape(ROWS, ROWS);
    INDArray scoresNd = Nd4j.create(DataType.FLOAT, ROWS, ROWS);
    INDArray outNd = Nd4j.create(DataType.FLOAT, ROWS, D);
    Logits logits = new Logits(Logits.Layout.SHARED, ROWS, ROWS, hand.scores, identityColumns(), items, ROWS, logQ,
        CATALOG);
    float[] lossGrad = new float[ROWS * ROWS];

    Hybrid hybrid = new Hybrid();
    hybridStep(refined, u, v, items, logQ, hybrid);
    notes.add(String.format("hybrid (hand gradients, ND4J products) vs hand: max |diff| dU %.2e, dV %.2e",
        maxAbsDiff(handDu, hybrid.du), maxAbsDiff(handDv, hybrid.dv)));

    int defaultThreads = Nd4j.getEnvironment().maxThreads();
    int defaultOmp = NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    int defaultBlas = Nd4j.factory().blas().getMaxThreads();
    notes.add("ND4J default threading on this machine: Environment.maxThreads " + defaultThreads + ", OpenMP "
        + defaultOmp + ", BLAS " + defaultBlas + "; available processors "
        + Runtime.getRuntime().availableProcessors());

    for (int rep = -WARMUP; rep < REPS; rep++) {
      for (int threads : new int[] {1, 0}) {
        setNd4jThreads(threads == 1 ? 1 : defaultThreads, threads == 1 ? 1 : defaultOmp,
            threads == 1 ? 1 : defaultBlas);
        String tag = threads == 1 ? " [ND4J 1 thread]" : " [ND4J default threads]";
        time(rep, "step: SameDiff tree graph" + tag, () -> sameDiffStep(tree, u, v));
        time(rep, "step: SameDiff natural graph (wrong grads)" + tag, () -> sameDiffStep(natural, u, v));
        time(rep, "step: hand-derived, products by Nd4j.gemm incl. copies" + tag,
            () -> hybridStep(refined, u, v, items, logQ, hybrid));
        time(rep, "gemm scores U V^T: Nd4j.gemm" + tag, () -> Nd4j.gemm(uNd, vNd, scoresNd, false, true, 1.0, 0.0));
        time(rep, "gemm dU = G V: Nd4j.gemm" + tag, () -> Nd4j.gemm(gNd, vNd, outNd, false, false, 1.0, 0.0));
        time(rep, "gemm dV = G^T U: Nd4j.gemm" + tag, () -> Nd4j.gemm(gNd, uNd, outNd, true, false, 1.0, 0.0));
      }
      time(rep, "step: hand-derived (Matrices + RefinedLogQ)",
          () -> hand.run(refined, u, v, items, logQ, CATALOG, INV_TAU));
      time(rep, "  of which RefinedLogQ.lossAndGradient", () -> refined.lossAndGradient(logits, lossGrad));
      time(rep, "gemm scores U V^T: Matrices", () -> Matrices.multiplyTransposed(u, v, scores, ROWS, ROWS, D));
      time(rep, "gemm dU = G V: Matrices", () -> {
        Arrays.fill(out, 0f);
        Matrices.multiplyAdd(g, v, out, ROWS, D, ROWS);
      });
      time(rep, "gemm dV = G^T U: Matrices", () -> {
        Arrays.fill(out, 0f);
        Matrices.transposeMultiplyAdd(g, u, out, ROWS, D, ROWS);
      });
    }
    setNd4jThreads(defaultThreads, defaultOmp, defaultBlas);
    System.out.println(report());
  }

  /** Buffers of the hybrid step: the hand-derived loss gradient with the three products done by ND4J. */
  private static final class Hybrid {
    final INDArray uNd = Nd4j.create(DataType.FLOAT, ROWS, D);
    final INDArray uScaledNd = Nd4j.create(DataType.FLOAT, ROWS, D);
    final INDArray vNd = Nd4j.create(DataType.FLOAT, ROWS, D);
    final INDArray scoresNd = Nd4j.create(DataType.FLOAT, ROWS, ROWS);
    final INDArray gNd = Nd4j.create(DataType.FLOAT, ROWS, ROWS);
    final INDArray duNd = Nd4j.create(DataType.FLOAT, ROWS, D);
    final INDArray dvNd = Nd4j.create(DataType.FLOAT, ROWS, D);
    final float[] uScaled = new float[ROWS * D];
    final float[] scores = new float[ROWS * ROWS];
    final float[] grad = new float[ROWS * ROWS];
    final float[] du = new float[ROWS * D];
    final float[] dv = new float[ROWS * D];
    final int[] positiveColumn = identityColumns();
  }

  /** What a worker would do per step with ND4J products: copy in, gemm, copy out, around the Java loss. */
  private static void hybridStep(RefinedLogQ loss, float[] u, float[] v, int[] items, double[] logQ, Hybrid h) {
    for (int i = 0; i < u.length; i++) {
      h.uScaled[i] = u[i] * INV_TAU;
    }
    h.uNd.data().setData(u);
    h.uScaledNd.data().setData(h.uScaled);
    h.vNd.data().setData(v);
    Nd4j.gemm(h.uScaledNd, h.vNd, h.scoresNd, false, true, 1.0, 0.0);
    h.scoresNd.data().asNioFloat().get(h.scores);
    loss.lossAndGradient(new Logits(Logits.Layout.SHARED, ROWS, ROWS, h.scores, h.positiveColumn, items, ROWS, logQ,
        CATALOG), h.grad);
    h.gNd.data().setData(h.grad);
    Nd4j.gemm(h.gNd, h.vNd, h.duNd, false, false, INV_TAU, 0.0);
    Nd4j.gemm(h.gNd, h.uNd, h.dvNd, true, false, INV_TAU, 0.0);
    h.duNd.data().asNioFloat().get(h.du);
    h.dvNd.data().asNioFloat().get(h.dv);
  }

  private static void setNd4jThreads(int environment, int omp, int blas) {
    Nd4j.getEnvironment().setMaxThreads(environment);
    Nd4j.getEnvironment().setMaxMasterThreads(environment);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(omp);
    Nd4j.factory().blas().setMaxThreads(blas);
  }

  /** What a worker would do per step with SameDiff: load U and V, run forward + backward, read dU and dV. */
  private static float[][] sameDiffStep(SameDiffInBatch graph, float[] u, float[] v) {
    graph.u.getArr().assign(Nd4j.createFromArray(u).reshape(ROWS, D));
    graph.v.getArr().assign(Nd4j.createFromArray(v).reshape(ROWS, D));
    Map<String, INDArray> grads = graph.gradients();
    return new float[][] {grads.get("U").ravel().toFloatVector(), grads.get("V").ravel().toFloatVector()};
  }

  private void time(int rep, String name, Runnable body) {
    long start = System.nanoTime();
    body.run();
    double ms = (System.nanoTime() - start) / 1e6;
    if (rep >= 0) {
      times.computeIfAbsent(name, k -> new double[REPS])[rep] = ms;
    }
  }

  private String report() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("B = %d, d = %d, float32, %d reps after %d warm-up, variants interleaved%n", ROWS, D,
        REPS, WARMUP));
    sb.append(String.format("%-62s %10s %10s %10s%n", "variant", "median ms", "p10 ms", "p90 ms"));
    for (Map.Entry<String, double[]> e : times.entrySet()) {
      double[] t = e.getValue().clone();
      Arrays.sort(t);
      sb.append(String.format("%-62s %10.2f %10.2f %10.2f%n", e.getKey(), t[REPS / 2], t[REPS / 10],
          t[REPS * 9 / 10]));
    }
    for (String note : notes) {
      sb.append(note).append(System.lineSeparator());
    }
    return sb.toString();
  }

  private static float[] unitRows(Random random) {
    float[] x = new float[ROWS * D];
    for (int r = 0; r < ROWS; r++) {
      double norm = 0;
      for (int c = 0; c < D; c++) {
        double value = random.nextGaussian();
        x[r * D + c] = (float) value;
        norm += value * value;
      }
      for (int c = 0; c < D; c++) {
        x[r * D + c] /= (float) Math.sqrt(norm);
      }
    }
    return x;
  }

  private static int[] identityColumns() {
    int[] columns = new int[ROWS];
    for (int b = 0; b < ROWS; b++) {
      columns[b] = b;
    }
    return columns;
  }

  private static double maxAbs(float[] x) {
    double m = 0;
    for (float value : x) {
      m = Math.max(m, Math.abs(value));
    }
    return m;
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
