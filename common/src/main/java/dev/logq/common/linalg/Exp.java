package dev.logq.common.linalg;

import java.util.Locale;

/**
 * Element-wise exp over arrays, the one transcendental function the in-batch losses need per score.
 *
 * <p><b>Why.</b> A training step takes one exp per (row, column) of the logits: about 530,000 at B = 1024
 * under Zipf popularity. {@code Math.exp} is a scalar call of about 5 ns, which was the largest single cost of
 * the loss (docs/benchmarks.md). With the JDK's incubating Vector API ({@code jdk.incubator.vector}), exp of
 * four doubles at a time compiles to the JDK's SVML routines and is 4 to 5 times faster on x86-64.
 *
 * <p><b>When.</b> The vector path needs the module on the JVM's command line
 * ({@code --add-modules=jdk.incubator.vector}, in conf/java17.args with the other Java 17 flags), an x86-64
 * CPU whose vector units take 256-bit double vectors (AVX2 or AVX-512), and the system property
 * {@code logq.vectorExp} not set to {@code false}. Otherwise the plain loop over {@code Math.exp} runs, which
 * is always correct; on other CPUs the Vector API's exp is not compiled to native code and would be slower
 * than {@code Math.exp}.
 *
 * <p><b>Bits.</b> Both paths are accurate to 1 ulp but are different implementations: about 0.5% of results
 * differ in the last bit between them. A run is bit-reproducible on the same JVM, CPU type and flags; the
 * vector width is fixed at 256 bits so that AVX2 and AVX-512 machines use the same lane layout.
 */
public final class Exp {

  /** The system property that turns the vector path off ({@code -Dlogq.vectorExp=false}). */
  public static final String PROPERTY = "logq.vectorExp";

  /** Why this JVM uses Math.exp, or null when it uses the Vector API. */
  private static final String SCALAR_REASON = scalarReason();
  private static final boolean VECTOR = SCALAR_REASON == null;

  private Exp() {}

  /** out[i] = exp(x[i]) for i in [0, n). {@code x} and {@code out} may be the same array. */
  public static void exp(double[] x, double[] out, int n) {
    if (n > x.length || n > out.length) {
      throw new IllegalArgumentException("exp over " + n + " values, arrays hold " + x.length + " and " + out.length);
    }
    if (VECTOR) {
      VectorExp.exp(x, out, n);
    } else {
      scalar(x, out, n);
    }
  }

  /** The reference path: out[i] = Math.exp(x[i]). */
  static void scalar(double[] x, double[] out, int n) {
    for (int i = 0; i < n; i++) {
      out[i] = Math.exp(x[i]);
    }
  }

  /** True when {@link #exp} uses the Vector API. */
  public static boolean vectorized() {
    return VECTOR;
  }

  /** One line for the logs: which exp this JVM uses, and why. */
  public static String describe() {
    return VECTOR ? "exp: Vector API (jdk.incubator.vector, 256-bit)" : "exp: Math.exp (" + SCALAR_REASON + ")";
  }

  private static String scalarReason() {
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
      return PROPERTY + "=false";
    }
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!arch.equals("amd64") && !arch.equals("x86_64")) {
      return "not x86-64: " + arch;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return "add --add-modules=jdk.incubator.vector to the JVM options for the vector path";
    }
    try {
      // Touches the Vector API only here, behind the checks: without the module the class never loads.
      return VectorExp.supported() ? null : "the CPU has no 256-bit vectors";
    } catch (LinkageError | RuntimeException e) {
      return "the Vector API failed to load: " + e;
    }
  }
}
