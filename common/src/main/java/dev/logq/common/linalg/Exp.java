package dev.logq.common.linalg;

/**
 * Element-wise exp over arrays, the one transcendental function the in-batch losses need per score.
 *
 * <p><b>Why.</b> A training step takes one exp per (row, column) of the logits: about 530,000 at B = 1024
 * under Zipf popularity. {@code Math.exp} is a scalar call of about 5 ns, which was the largest single cost of
 * the loss (docs/benchmarks.md). With the JDK's incubating Vector API ({@code jdk.incubator.vector}), four
 * doubles at a time are about 2 to 3 times faster on x86-64.
 *
 * <p><b>What.</b> Our own exp, not the JDK's, so that its bits never depend on the JIT: Cody-Waite range
 * reduction x = k ln 2 + r (|r| &lt;= ln 2 / 2, k rounded to nearest with the 1.5 * 2^52 shifter), a degree-13
 * Taylor polynomial of e^r in Horner form with fused multiply-adds, and the scale 2^k applied as two
 * exponent-built powers of two (so results down to the subnormals are rounded once, as IEEE multiplication
 * rounds). Above {@link #OVERFLOW} it is +inf, below {@link #UNDERFLOW} 0, NaN stays NaN. Within 1 ulp of
 * {@code Math.exp} (about 5 % of results differ from it in the last bit; ExpTest).
 *
 * <p><b>Bits.</b> The vector path ({@code VectorExp}) and the scalar path ({@link #scalar(double)}) perform the
 * same IEEE operations (fma, multiply, add, bit moves) in the same order, so they give the same bits, whether the
 * Vector API code runs interpreted, C1- or C2-compiled, or not at all (no module, another CPU,
 * {@code -Dlogq.vectorExp=false}). The JDK's {@code VectorOperators.EXP}, used before, does not: compiled by C2 it
 * calls the SVML routines, interpreted it calls {@code Math.exp}, and 0.4 % of results differ between the two, so
 * which one a training step got depended on when C2 had compiled the loop: on timing (docs/decisions.md).
 *
 * <p><b>When.</b> The vector path needs the module on the JVM's command line
 * ({@code --add-modules=jdk.incubator.vector}, in conf/java17.args with the other Java 17 flags), an x86-64
 * CPU whose vector units take 256-bit double vectors (AVX2 or AVX-512), and the system property
 * {@code logq.vectorExp} not set to {@code false}. Otherwise the scalar loop runs (same bits, slower).
 */
public final class Exp {

  /** The system property that turns the vector path off ({@code -Dlogq.vectorExp=false}). */
  public static final String PROPERTY = "logq.vectorExp";

  static final double LOG2E = 1.4426950408889634;
  /** ln 2 split so that k * LN2_HI is exact for |k| &lt; 2^20 (fdlibm's constants). */
  static final double LN2_HI = Double.longBitsToDouble(0x3fe62e42fee00000L);
  static final double LN2_LO = Double.longBitsToDouble(0x3dea39ef35793c76L);
  /** Adding 1.5 * 2^52 rounds a double below 2^51 in magnitude to an integer (to nearest, ties to even). */
  static final double SHIFTER = 0x1.8p52;
  /** SHIFTER + 1023: k + this has, in its low bits, the biased exponent of 2^k. */
  static final double BIASED_SHIFTER = SHIFTER + 1023;
  static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
  /** exp(x) overflows above this (ln of Double.MAX_VALUE). */
  public static final double OVERFLOW = 709.782712893384;
  /** exp(x) rounds to 0 below this (ln of half of Double.MIN_VALUE). */
  public static final double UNDERFLOW = -745.1332191019412;
  /** 1 / n! for n = 0..13, the Taylor coefficients. */
  static final double[] TAYLOR = taylor(13);

  /** Why this JVM uses the scalar loop, or null when it uses the Vector API. */
  private static final String SCALAR_REASON =
      VectorApiSupport.unavailableReason(PROPERTY, () -> VectorExp.supported());
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

  /** The scalar path over an array. */
  static void scalar(double[] x, double[] out, int n) {
    for (int i = 0; i < n; i++) {
      out[i] = scalar(x[i]);
    }
  }

  /** exp(x), the reference definition: VectorExp performs these operations lane by lane. */
  public static double scalar(double x) {
    double k = Math.fma(x, LOG2E, SHIFTER) - SHIFTER;
    double r = Math.fma(-k, LN2_HI, x);
    r = Math.fma(-k, LN2_LO, r);
    double[] c = TAYLOR;
    double p = Math.fma(c[13], r, c[12]);
    for (int j = 11; j >= 0; j--) {
      p = Math.fma(p, r, c[j]);
    }
    // 2^k as 2^k1 * 2^k2, each a normal double for every k that does not over- or underflow.
    double k1 = Math.fma(k, 0.5, SHIFTER) - SHIFTER;
    double k2 = k - k1;
    double y = p * powerOfTwo(k1) * powerOfTwo(k2);
    if (x > OVERFLOW) {
      y = Double.POSITIVE_INFINITY;
    }
    if (x < UNDERFLOW) {
      y = 0.0;
    }
    return y;
  }

  /** 2^k for an integer-valued k in [-1022, 1023], from its biased exponent's bits. */
  private static double powerOfTwo(double k) {
    return Double.longBitsToDouble((Double.doubleToRawLongBits(k + BIASED_SHIFTER) - SHIFTER_BITS) << 52);
  }

  private static double[] taylor(int degree) {
    double[] c = new double[degree + 1];
    double factorial = 1;
    for (int i = 0; i <= degree; i++) {
      factorial *= Math.max(i, 1);
      c[i] = 1.0 / factorial;
    }
    return c;
  }

  /** True when {@link #exp} uses the Vector API. */
  public static boolean vectorized() {
    return VECTOR;
  }

  /** One line for the logs: which exp this JVM uses, and why. */
  public static String describe() {
    return VECTOR ? "exp: Vector API (jdk.incubator.vector, 256-bit)" : "exp: scalar (" + SCALAR_REASON + ")";
  }
}
