package dev.logq.common.optim;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Adam}'s element-wise update four values at a time with the incubating Vector API; loaded only when
 * {@link Adam} has found the module. The same bits as the scalar loop: every lane widens the floats to double,
 * does the scalar code's operations in its order (multiply, add, divide and square root are correctly rounded
 * per lane, and nothing is fused), and rounds back to float to nearest, as the scalar casts do. Four lanes
 * (128-bit floats, 256-bit doubles), as {@code linalg.VectorExp}, so AVX2 and AVX-512 machines run the same code.
 */
final class VectorAdam {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;

  private VectorAdam() {}

  /** The CPU takes 256-bit double vectors (below that the Vector API would emulate them, slowly). */
  static boolean supported() {
    return VectorShape.preferredShape().vectorBitSize() >= 256;
  }

  /** Lanes [0, returned) are updated; the caller runs the scalar loop on the rest. */
  static int update(float[] param, float[] grad, float[] first, float[] second, int len, double beta1,
                    double beta2, double learningRate, double epsilon, double correction1, double correction2) {
    double oneMinusBeta1 = 1.0 - beta1;
    double oneMinusBeta2 = 1.0 - beta2;
    int bound = F.loopBound(len);
    for (int i = 0; i < bound; i += F.length()) {
      DoubleVector g = widen(FloatVector.fromArray(F, grad, i));
      // m = (float) (beta1 * first + (1 - beta1) * g); v = (float) (beta2 * second + (1 - beta2) * g * g)
      FloatVector m = narrow(widen(FloatVector.fromArray(F, first, i)).mul(beta1).add(g.mul(oneMinusBeta1)));
      FloatVector v = narrow(widen(FloatVector.fromArray(F, second, i)).mul(beta2)
          .add(g.mul(oneMinusBeta2).mul(g)));
      m.intoArray(first, i);
      v.intoArray(second, i);
      // param = (float) (param - learningRate * (m / correction1) / (sqrt(v / correction2) + epsilon))
      DoubleVector step = widen(m).div(correction1).mul(learningRate)
          .div(widen(v).div(correction2).lanewise(VectorOperators.SQRT).add(epsilon));
      narrow(widen(FloatVector.fromArray(F, param, i)).sub(step)).intoArray(param, i);
    }
    return bound;
  }

  private static DoubleVector widen(FloatVector x) {
    return (DoubleVector) x.convertShape(VectorOperators.F2D, D, 0);
  }

  private static FloatVector narrow(DoubleVector x) {
    return (FloatVector) x.convertShape(VectorOperators.D2F, F, 0);
  }
}
