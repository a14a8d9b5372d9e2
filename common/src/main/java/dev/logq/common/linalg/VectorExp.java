package dev.logq.common.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API path of {@link Exp}; loaded only when {@link Exp} has found the module. Lane by lane it performs
 * {@link Exp#scalar(double)}'s operations in the same order, and only operations whose result IEEE 754 fixes
 * (fma, multiply, add, compare, bit moves), never the Vector API's own transcendental functions: so the bits
 * are the scalar path's whether this runs interpreted or compiled. The species and the broadcast constants
 * are static finals: HotSpot compiles Vector API code to vector instructions only then.
 */
final class VectorExp {

  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_256;
  private static final DoubleVector NEG_LN2_HI = DoubleVector.broadcast(SPECIES, -Exp.LN2_HI);
  private static final DoubleVector NEG_LN2_LO = DoubleVector.broadcast(SPECIES, -Exp.LN2_LO);
  // One field per coefficient, not an array: C2 keeps vectors in registers only when they are constants.
  private static final DoubleVector C0 = taylor(0);
  private static final DoubleVector C1 = taylor(1);
  private static final DoubleVector C2 = taylor(2);
  private static final DoubleVector C3 = taylor(3);
  private static final DoubleVector C4 = taylor(4);
  private static final DoubleVector C5 = taylor(5);
  private static final DoubleVector C6 = taylor(6);
  private static final DoubleVector C7 = taylor(7);
  private static final DoubleVector C8 = taylor(8);
  private static final DoubleVector C9 = taylor(9);
  private static final DoubleVector C10 = taylor(10);
  private static final DoubleVector C11 = taylor(11);
  private static final DoubleVector C12 = taylor(12);
  private static final DoubleVector C13 = taylor(13);

  private VectorExp() {}

  /** The CPU takes 256-bit vectors (below that the Vector API would emulate them, slowly). */
  static boolean supported() {
    return VectorShape.preferredShape().vectorBitSize() >= 256;
  }

  static void exp(double[] x, double[] out, int n) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector v = DoubleVector.fromArray(SPECIES, x, i);
      DoubleVector k = v.fma(Exp.LOG2E, Exp.SHIFTER).sub(Exp.SHIFTER);
      // -k * LN2_HI + x, as Math.fma(-k, LN2_HI, x): the product of -k and ln2 is exact either way round.
      DoubleVector r = k.fma(NEG_LN2_HI, v);
      r = k.fma(NEG_LN2_LO, r);
      DoubleVector p = C13.fma(r, C12).fma(r, C11).fma(r, C10).fma(r, C9).fma(r, C8).fma(r, C7).fma(r, C6)
          .fma(r, C5).fma(r, C4).fma(r, C3).fma(r, C2).fma(r, C1).fma(r, C0);
      DoubleVector k1 = k.fma(0.5, Exp.SHIFTER).sub(Exp.SHIFTER);
      DoubleVector k2 = k.sub(k1);
      // 2^k1 and 2^k2 from their bits, written out here: a helper method taking and returning vectors is not
      // always inlined (C2: "callee uses too much stack"), and a vector that crosses a call is boxed.
      DoubleVector two1 = k1.add(Exp.BIASED_SHIFTER).reinterpretAsLongs().sub(Exp.SHIFTER_BITS)
          .lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
      DoubleVector two2 = k2.add(Exp.BIASED_SHIFTER).reinterpretAsLongs().sub(Exp.SHIFTER_BITS)
          .lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
      DoubleVector y = p.mul(two1).mul(two2);
      y = y.blend(Double.POSITIVE_INFINITY, v.compare(VectorOperators.GT, Exp.OVERFLOW));
      y = y.blend(0.0, v.compare(VectorOperators.LT, Exp.UNDERFLOW));
      y.intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = Exp.scalar(x[i]);
    }
  }

  private static DoubleVector taylor(int n) {
    return DoubleVector.broadcast(SPECIES, Exp.TAYLOR[n]);
  }
}
