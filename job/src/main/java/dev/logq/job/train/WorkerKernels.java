package dev.logq.job.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once per JVM that trains (each executor, and the driver in local mode): which kernels its steps use, and a
 * warning when the Vector API is missing. Both sync backends' workers call {@link #logOnce}.
 */
final class WorkerKernels {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerKernels.class);

  static {
    LOG.info("Worker JVM {}; score and sequence encoder products: {}", dev.logq.common.linalg.Exp.describe(),
        dev.logq.common.model.sequence.CausalTransformerEncoder.kernelDescription());
    if (!dev.logq.common.linalg.FusedMatrices.vectorized()) {
      // Same bits, much slower: every tower's score products and the sequence encoder run on these kernels.
      // Measured (bench/run-sync.sh's id-tower setting, -Dlogq.vectorGemm=false): 43k instead of about 200k
      // examples/s; a sequence tower's step about 8 times slower (docs/decisions.md).
      LOG.warn("Worker JVM without the Vector API products ({}): training runs about 5x slower (a sequence tower "
          + "about 8x); start the JVMs with conf/java17.args (--add-modules=jdk.incubator.vector)",
          dev.logq.common.linalg.FusedMatrices.describe());
    }
  }

  private WorkerKernels() {}

  /** Logs the lines above the first time it is called in this JVM. */
  static void logOnce() {
    // The static initialiser does the work, once.
  }
}
