package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.loss.NoCorrection;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's kernel diagnosis: one forward + backward of the sequence encoder at L = 200, d = 64, B = 128,
 * 2 blocks, 1 head, hidden 64, dropout 0.2 (every position valid), on the {@link Gemm} backends, then the same
 * step with the in-batch softmax over the batch's distinct targets (NoCorrection, tau 0.1). Compare with
 * bench/torch_sasrec.py. Run:
 * {@code OPENBLAS_NUM_THREADS=1 mvn -B -pl common -Pbenchmarks test -Dtest=SequenceEncoderBenchmark}.
 */
@Tag("benchmark")
class SequenceEncoderBenchmark {

  // Shapes: issue 11's defaults; -Dlogq.bench.L / .B / .D / .hidden give others (e.g. the job's L 50, B 64).
  static final int L = Integer.getInteger("logq.bench.L", 200);
  static final int D = Integer.getInteger("logq.bench.D", 64);
  static final int B = Integer.getInteger("logq.bench.B", 128);
  static final int BLOCKS = 2;
  static final int HIDDEN = Integer.getInteger("logq.bench.hidden", D);
  static final int ITEMS = 3706;
  static final int WARMUP = Integer.getInteger("logq.bench.warmup", 2);
  static final int RUNS = Integer.getInteger("logq.bench.runs", 4);

  private static java.util.List<Gemm.Kind> kinds() {
    String v = System.getProperty("logq.bench.kinds", "");
    if (v.isBlank()) {
      return java.util.List.of(Gemm.Kind.values());
    }
    java.util.List<Gemm.Kind> out = new java.util.ArrayList<>();
    for (String k : v.split(",")) {
      out.add(Gemm.Kind.valueOf(k.trim()));
    }
    return out;
  }

  @Test
  void encoderStep() {
    System.out.println("netlib BLAS: " + NetlibGemm.implementation() + ", netlib Java: "
        + NetlibGemm.java().instanceClass() + ", OPENBLAS_NUM_THREADS="
        + System.getenv("OPENBLAS_NUM_THREADS"));
    int m = B * L;
    double linear = 2.0 * m * (4.0 * D * D + 2.0 * D * HIDDEN);
    double attention = 2.0 * B * (2.0 * L * L * D);
    double forward = BLOCKS * (linear + attention);
    System.out.printf("encoder GEMM work: forward %.2f GFLOP, forward+backward %.2f GFLOP%n", forward / 1e9,
        3 * forward / 1e9);
    SplittableRandom r = new SplittableRandom(1);
    int[] items = new int[m + B];
    for (int i = 0; i < items.length; i++) {
      // Roughly Zipf(1) over the catalog.
      items[i] = (int) Math.min(ITEMS - 1, Math.floor(Math.exp(r.nextDouble() * Math.log(ITEMS + 1.0)) - 1));
    }
    int[] input = java.util.Arrays.copyOf(items, m);
    int[] targets = new int[m];
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < L; t++) {
        targets[b * L + t] = t + 1 < L ? input[b * L + t + 1] : items[m + b];
      }
    }
    SequenceLossRows rows = SequenceLossRows.of(input, targets, m);
    System.out.println("distinct targets: " + rows.cols() + " of " + rows.rows + " rows");
    double[] logQ = new double[ITEMS];
    java.util.Arrays.fill(logQ, -Math.log(ITEMS));
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    // -Dlogq.bench.kinds=MATRICES,NETLIB measures only those backends.
    for (Gemm.Kind kind : kinds()) {
      CausalTransformerEncoder enc = new CausalTransformerEncoder("seq", "items", L, D, BLOCKS, 1, HIDDEN, 0.2, kind);
      TensorStore params = new TensorStore();
      enc.addInitial(params, 7L, ITEMS);
      for (int withLoss = 0; withLoss < 2; withLoss++) {
        TensorPatch first = null;
        long cpu = 0;
        long wall = 0;
        long encCpu = 0;
        long lossCpu = 0;
        for (int run = 0; run < WARMUP + RUNS; run++) {
          long c0 = mx.getCurrentThreadCpuTime();
          long w0 = System.nanoTime();
          float[] hidden = new float[m * D];
          CausalTransformerEncoder.Cache cache = enc.forward(params, input, B, new SplittableRandom(3), hidden);
          float[] dHidden = new float[m * D];
          SparseRowsBuilder itemRows = new SparseRowsBuilder(D, 4096);
          long c1 = mx.getCurrentThreadCpuTime();
          if (withLoss == 1) {
            float[] v = new float[rows.cols() * D];
            for (int j = 0; j < rows.cols(); j++) {
              params.table("items").readRow(rows.columnItem[j], v, j * D);
            }
            float[] dColumns = new float[v.length];
            rows.lossAndGradient(hidden, v, D, 10f, new NoCorrection(), logQ, ITEMS, dHidden, dColumns, kind);
            for (int j = 0; j < rows.cols(); j++) {
              itemRows.add(rows.columnItem[j], dColumns, j * D);
            }
          } else {
            java.util.Arrays.fill(dHidden, 1e-3f);
          }
          long c2 = mx.getCurrentThreadCpuTime();
          lossCpu += run >= WARMUP ? c2 - c1 : 0;
          TensorPatch grads = new TensorPatch();
          enc.backward(params, cache, dHidden, itemRows, grads);
          grads.putRows("items", itemRows.build());
          long c3 = mx.getCurrentThreadCpuTime();
          long w3 = System.nanoTime();
          if (run >= WARMUP) {
            cpu += c3 - c0;
            encCpu += (c1 - c0) + (c3 - c2);
            wall += w3 - w0;
          }
          if (first == null) {
            first = grads;
          } else {
            assertTrue(first.bitwiseEquals(grads), kind + ": same inputs, same gradient bits");
          }
        }
        double cpuMs = cpu / 1e6 / RUNS;
        double encMs = encCpu / 1e6 / RUNS;
        System.out.printf("%-8s %-16s step cpu %8.1f ms (encoder %8.1f ms, %.1f GFLOP/s; softmax %7.1f ms), "
                + "wall %8.1f ms, %.0f positions/s per core%n", kind, withLoss == 1 ? "encoder+softmax" : "encoder only",
            cpuMs, encMs, 3 * forward / 1e6 / encMs, lossCpu / 1e6 / RUNS, wall / 1e6 / RUNS, m / (cpuMs / 1e3));
      }
    }
  }
}
