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
      // Every conversion is written out on a vector whose class the JIT knows exactly (a load's or an
      // operation's result). Helper methods taking and returning vectors (widen(x), narrow(x)) were not
      // always devirtualised: the JIT then ran the Vector API's Java fallback for the conversions, slower than
      // the scalar loop in the job (JFR: 10 % of a training run's samples), fast only in a micro-benchmark
      // that happened to compile them well.
      DoubleVector g = (DoubleVector) FloatVector.fromArray(F, grad, i).convertShape(VectorOperators.F2D, D, 0);
      DoubleVector m1 = (DoubleVector) FloatVector.fromArray(F, first, i).convertShape(VectorOperators.F2D, D, 0);
      DoubleVector v1 = (DoubleVector) FloatVector.fromArray(F, second, i).convertShape(VectorOperators.F2D, D, 0);
      DoubleVector p1 = (DoubleVector) FloatVector.fromArray(F, param, i).convertShape(VectorOperators.F2D, D, 0);
      // m = (float) (beta1 * first + (1 - beta1) * g); v = (float) (beta2 * second + (1 - beta2) * g * g)
      FloatVector m = (FloatVector) m1.mul(beta1).add(g.mul(oneMinusBeta1)).convertShape(VectorOperators.D2F, F, 0);
      FloatVector v = (FloatVector) v1.mul(beta2).add(g.mul(oneMinusBeta2).mul(g))
          .convertShape(VectorOperators.D2F, F, 0);
      m.intoArray(first, i);
      v.intoArray(second, i);
      DoubleVector md = (DoubleVector) m.convertShape(VectorOperators.F2D, D, 0);
      DoubleVector vd = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
      // param = (float) (param - learningRate * (m / correction1) / (sqrt(v / correction2) + epsilon))
      DoubleVector step = md.div(correction1).mul(learningRate)
          .div(vd.div(correction2).lanewise(VectorOperators.SQRT).add(epsilon));
      ((FloatVector) p1.sub(step).convertShape(VectorOperators.D2F, F, 0)).intoArray(param, i);
    }
    return bound;
  }
}
