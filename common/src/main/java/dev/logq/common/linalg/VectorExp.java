package dev.logq.common.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API path of {@link Exp}; loaded only when {@link Exp} has found the module. The species is a
 * static final constant: HotSpot compiles Vector API code to vector instructions only then.
 */
final class VectorExp {

  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_256;

  private VectorExp() {}

  /** The CPU takes 256-bit vectors (below that the Vector API would emulate them, slowly). */
  static boolean supported() {
    return VectorShape.preferredShape().vectorBitSize() >= 256;
  }

  static void exp(double[] x, double[] out, int n) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector.fromArray(SPECIES, x, i).lanewise(VectorOperators.EXP).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = Math.exp(x[i]);
    }
  }
}
