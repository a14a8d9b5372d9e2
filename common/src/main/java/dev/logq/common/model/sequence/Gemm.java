package dev.logq.common.model.sequence;

import dev.logq.common.linalg.FusedMatrices;
import dev.logq.common.linalg.Matrices;

/**
 * The three row-major float products the sequence encoder needs, on sub-arrays given by offsets (rows are
 * contiguous: the leading dimension is the row width). Implementations are deterministic: the same inputs and
 * shapes give the same bits on the same JVM and CPU. Instances may hold scratch buffers and are not
 * thread-safe: one per forward or backward call.
 */
abstract class Gemm {

  /**
   * Which implementation; {@link #create} makes a fresh instance. FUSED is the project's fused multiply-add kernels
   * ({@link FusedMatrices}, the default), MATRICES the project's older {@link Matrices} kernels, NETLIB netlib's own
   * pick (native OpenBLAS through JNI when one loads), NETLIB_JAVA netlib's Java implementation (Vector API).
   */
  enum Kind { FUSED, MATRICES, NETLIB, NETLIB_JAVA }

  /** System property choosing the default backend: "java" (default), "matrices" or "native". */
  static final String PROPERTY = "logq.sequenceBlas";

  /**
   * The backend of the encoder and the loss rows: {@link Kind#FUSED} unless {@value #PROPERTY} says otherwise.
   * FUSED gives the same bits on every JVM, CPU (AVX2 or AVX-512), JIT state and executor layout, and is faster
   * than native OpenBLAS at the encoder's shapes (docs/decisions.md, "Sequential tower: kernels"). Native OpenBLAS
   * ("native") was the fast option before it; its bits depend on its thread count, which Spark sets on executors
   * (OMP_NUM_THREADS = spark.task.cpus) and local mode leaves at the machine's cores. "matrices" selects the
   * kernels the id and history towers use (deterministic too, 2 to 4 times slower here).
   */
  static Kind defaultKind() {
    String v = System.getProperty(PROPERTY, "java").trim().toLowerCase(java.util.Locale.ROOT);
    switch (v) {
      case "java":
        return Kind.FUSED;
      case "matrices":
        return Kind.MATRICES;
      case "native":
        return Kind.NETLIB;
      default:
        throw new IllegalArgumentException(PROPERTY + " must be java, matrices or native, got '" + v + "'");
    }
  }

  static Gemm create(Kind kind) {
    switch (kind) {
      case NETLIB:
        return new NetlibGemm();
      case NETLIB_JAVA:
        return NetlibGemm.java();
      case MATRICES:
        return new MatricesGemm();
      default:
        return new FusedGemm();
    }
  }

  /**
   * True when a row of a row-wise product (abT, abAdd) has the same bits whatever the product's shape and the
   * other rows: callers may then make one product of many blocks. False for BLAS libraries, which pick kernels
   * by shape, and for Matrices, whose odd last row is summed in another grouping.
   */
  boolean rowsIndependentOfShape() {
    return false;
  }

  /** out[m x n] = a[m x k] * b[n x k]^T (overwrites). */
  abstract void abT(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k);

  /** out[m x n] += a[m x k] * b[k x n]. */
  abstract void abAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k);

  /** out[k x n] += a[m x k]^T * b[m x n]. */
  abstract void aTbAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k);

  /** The project's {@link FusedMatrices} kernels: offsets are read in place, no scratch. */
  static final class FusedGemm extends Gemm {
    @Override
    void abT(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
      FusedMatrices.multiplyTransposed(a, ao, b, bo, out, oo, m, n, k);
    }

    @Override
    void abAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
      FusedMatrices.multiplyAdd(a, ao, b, bo, out, oo, m, n, k);
    }

    @Override
    void aTbAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
      FusedMatrices.transposeMultiplyAdd(a, ao, b, bo, out, oo, m, n, k);
    }

    @Override
    boolean rowsIndependentOfShape() {
      return true;
    }
  }

  /** The project's {@link Matrices} kernels; sub-arrays at a non-zero offset are copied to scratch first. */
  static final class MatricesGemm extends Gemm {
    private float[] sa = new float[0];
    private float[] sb = new float[0];
    private float[] so = new float[0];

    private static float[] view(float[] x, int off, int len, float[] scratch) {
      if (off == 0) {
        return x;
      }
      System.arraycopy(x, off, scratch, 0, len);
      return scratch;
    }

    private void ensure(int a, int b, int o) {
      if (sa.length < a) {
        sa = new float[a];
      }
      if (sb.length < b) {
        sb = new float[b];
      }
      if (so.length < o) {
        so = new float[o];
      }
    }

    @Override
    void abT(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
      ensure(ao == 0 ? 0 : m * k, bo == 0 ? 0 : n * k, oo == 0 ? 0 : m * n);
      float[] av = view(a, ao, m * k, sa);
      float[] bv = view(b, bo, n * k, sb);
      float[] ov = oo == 0 ? out : so;
      Matrices.multiplyTransposed(av, bv, ov, m, n, k);
      if (ov != out) {
        System.arraycopy(ov, 0, out, oo, m * n);
      }
    }

    @Override
    void abAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
      ensure(ao == 0 ? 0 : m * k, bo == 0 ? 0 : k * n, oo == 0 ? 0 : m * n);
      float[] av = view(a, ao, m * k, sa);
      float[] bv = view(b, bo, k * n, sb);
      float[] ov = view(out, oo, m * n, so);
      Matrices.multiplyAdd(av, bv, ov, m, n, k);
      if (ov != out) {
        System.arraycopy(ov, 0, out, oo, m * n);
      }
    }

    @Override
    void aTbAdd(float[] a, int ao, float[] b, int bo, float[] out, int oo, int m, int n, int k) {
      ensure(ao == 0 ? 0 : m * k, bo == 0 ? 0 : m * n, oo == 0 ? 0 : k * n);
      float[] av = view(a, ao, m * k, sa);
      float[] bv = view(b, bo, m * n, sb);
      float[] ov = view(out, oo, k * n, so);
      Matrices.transposeMultiplyAdd(av, bv, ov, m, n, k);
      if (ov != out) {
        System.arraycopy(ov, 0, out, oo, k * n);
      }
    }
  }
}
