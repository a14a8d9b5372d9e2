package dev.logq.common.linalg;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API path of {@link FusedMatrices}; loaded only when {@link FusedMatrices} has found the module. Each
 * lane of an accumulator is one output element and receives {@link FusedMatrices#scalarAccumulate}'s fmas in its
 * order, so the bits are the scalar path's whatever the lane count. The species is a static final: HotSpot
 * compiles Vector API code to vector instructions only then.
 */
final class VectorFusedMatrices {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int VL = S.length();

  private VectorFusedMatrices() {}

  /** The CPU takes 256-bit vectors (below that the Vector API would emulate them, slowly). */
  static boolean supported() {
    return VectorShape.preferredShape().vectorBitSize() >= 256;
  }

  static int lanes() {
    return VL;
  }

  /**
   * The reduction is cut into chunks of this many steps, each run over the whole output before the next (an output
   * tile is stored after one chunk and loaded again for the next: exact, so the bits do not change). A chunk of
   * the streamed operand then stays in cache while every row tile reads it: for dV = G^T U at 3,200 x 1,028 x 64,
   * U's 800 KB would otherwise be read from L3 once per 4-row tile. Measured there (thread CPU, AVX-512): no chunks
   * 6.4-7.5 ms, 512: 5.1-5.8, 256: 3.0-3.3, 128: 3.2-3.6, 64: 2.5 ms; dU = G V 3.4-3.6 ms unchunked, 3.0 at 64.
   */
  private static final int CHUNK = 64;

  static void accumulate(float[] a, int ao, int ars, int aqs, float[] b, int bo, int ldb, float[] c, int co,
                         int ldc, int rows, int cols, int depth) {
    for (int q0 = 0; q0 < depth; q0 += CHUNK) {
      chunk(a, ao + q0 * aqs, ars, aqs, b, bo + q0 * ldb, ldb, c, co, ldc, rows, cols, Math.min(CHUNK, depth - q0));
    }
  }

  private static void chunk(float[] a, int ao, int ars, int aqs, float[] b, int bo, int ldb, float[] c, int co,
                            int ldc, int rows, int cols, int depth) {
    int j = 0;
    for (; j + 2 * VL <= cols; j += 2 * VL) {
      int i = 0;
      for (; i + 4 <= rows; i += 4) {
        fourRowsTwoVectors(a, ao + i * ars, ars, aqs, b, bo + j, ldb, c, co + i * ldc + j, ldc, depth);
      }
      for (; i < rows; i++) {
        oneRowTwoVectors(a, ao + i * ars, aqs, b, bo + j, ldb, c, co + i * ldc + j, depth);
      }
    }
    for (; j + VL <= cols; j += VL) {
      int i = 0;
      for (; i + 4 <= rows; i += 4) {
        fourRowsOneVector(a, ao + i * ars, ars, aqs, b, bo + j, ldb, c, co + i * ldc + j, ldc, depth);
      }
      for (; i < rows; i++) {
        oneRowOneVector(a, ao + i * ars, aqs, b, bo + j, ldb, c, co + i * ldc + j, depth);
      }
    }
    if (j < cols) {
      paddedTail(a, ao, ars, aqs, b, bo + j, ldb, c, co + j, ldc, rows, cols - j, depth);
    }
  }

  private static void fourRowsTwoVectors(float[] a, int a0, int ars, int aqs, float[] b, int bq, int ldb, float[] c,
                                         int c0, int ldc, int depth) {
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    FloatVector s00 = FloatVector.fromArray(S, c, c0);
    FloatVector s01 = FloatVector.fromArray(S, c, c0 + VL);
    FloatVector s10 = FloatVector.fromArray(S, c, c1);
    FloatVector s11 = FloatVector.fromArray(S, c, c1 + VL);
    FloatVector s20 = FloatVector.fromArray(S, c, c2);
    FloatVector s21 = FloatVector.fromArray(S, c, c2 + VL);
    FloatVector s30 = FloatVector.fromArray(S, c, c3);
    FloatVector s31 = FloatVector.fromArray(S, c, c3 + VL);
    int aq = a0;
    for (int q = 0; q < depth; q++) {
      FloatVector v0 = FloatVector.fromArray(S, b, bq);
      FloatVector v1 = FloatVector.fromArray(S, b, bq + VL);
      FloatVector x0 = FloatVector.broadcast(S, a[aq]);
      FloatVector x1 = FloatVector.broadcast(S, a[aq + ars]);
      FloatVector x2 = FloatVector.broadcast(S, a[aq + 2 * ars]);
      FloatVector x3 = FloatVector.broadcast(S, a[aq + 3 * ars]);
      s00 = x0.fma(v0, s00);
      s01 = x0.fma(v1, s01);
      s10 = x1.fma(v0, s10);
      s11 = x1.fma(v1, s11);
      s20 = x2.fma(v0, s20);
      s21 = x2.fma(v1, s21);
      s30 = x3.fma(v0, s30);
      s31 = x3.fma(v1, s31);
      aq += aqs;
      bq += ldb;
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + VL);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + VL);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + VL);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + VL);
  }

  private static void oneRowTwoVectors(float[] a, int a0, int aqs, float[] b, int bq, int ldb, float[] c, int c0,
                                       int depth) {
    FloatVector s0 = FloatVector.fromArray(S, c, c0);
    FloatVector s1 = FloatVector.fromArray(S, c, c0 + VL);
    int aq = a0;
    for (int q = 0; q < depth; q++) {
      FloatVector x = FloatVector.broadcast(S, a[aq]);
      s0 = x.fma(FloatVector.fromArray(S, b, bq), s0);
      s1 = x.fma(FloatVector.fromArray(S, b, bq + VL), s1);
      aq += aqs;
      bq += ldb;
    }
    s0.intoArray(c, c0);
    s1.intoArray(c, c0 + VL);
  }

  private static void fourRowsOneVector(float[] a, int a0, int ars, int aqs, float[] b, int bq, int ldb, float[] c,
                                        int c0, int ldc, int depth) {
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    FloatVector s0 = FloatVector.fromArray(S, c, c0);
    FloatVector s1 = FloatVector.fromArray(S, c, c1);
    FloatVector s2 = FloatVector.fromArray(S, c, c2);
    FloatVector s3 = FloatVector.fromArray(S, c, c3);
    int aq = a0;
    for (int q = 0; q < depth; q++) {
      FloatVector v = FloatVector.fromArray(S, b, bq);
      s0 = FloatVector.broadcast(S, a[aq]).fma(v, s0);
      s1 = FloatVector.broadcast(S, a[aq + ars]).fma(v, s1);
      s2 = FloatVector.broadcast(S, a[aq + 2 * ars]).fma(v, s2);
      s3 = FloatVector.broadcast(S, a[aq + 3 * ars]).fma(v, s3);
      aq += aqs;
      bq += ldb;
    }
    s0.intoArray(c, c0);
    s1.intoArray(c, c1);
    s2.intoArray(c, c2);
    s3.intoArray(c, c3);
  }

  private static void oneRowOneVector(float[] a, int a0, int aqs, float[] b, int bq, int ldb, float[] c, int c0,
                                      int depth) {
    FloatVector s = FloatVector.fromArray(S, c, c0);
    int aq = a0;
    for (int q = 0; q < depth; q++) {
      s = FloatVector.broadcast(S, a[aq]).fma(FloatVector.fromArray(S, b, bq), s);
      aq += aqs;
      bq += ldb;
    }
    s.intoArray(c, c0);
  }

  /**
   * The last {@code width} (&lt; VL) columns: b's columns and each output row's are copied into one-vector scratch
   * tiles padded with zeros, computed with whole vectors, and the first {@code width} lanes copied back.
   */
  private static void paddedTail(float[] a, int ao, int ars, int aqs, float[] b, int bo, int ldb, float[] c, int co,
                                 int ldc, int rows, int width, int depth) {
    float[] bt = new float[depth * VL];
    for (int q = 0; q < depth; q++) {
      System.arraycopy(b, bo + q * ldb, bt, q * VL, width);
    }
    float[] ct = new float[4 * VL];
    int i = 0;
    for (; i + 4 <= rows; i += 4) {
      int ci = co + i * ldc;
      for (int r = 0; r < 4; r++) {
        System.arraycopy(c, ci + r * ldc, ct, r * VL, width);
      }
      fourRowsOneVector(a, ao + i * ars, ars, aqs, bt, 0, VL, ct, 0, VL, depth);
      for (int r = 0; r < 4; r++) {
        System.arraycopy(ct, r * VL, c, ci + r * ldc, width);
      }
    }
    for (; i < rows; i++) {
      int ci = co + i * ldc;
      System.arraycopy(c, ci, ct, 0, width);
      oneRowOneVector(a, ao + i * ars, aqs, bt, 0, VL, ct, 0, depth);
      System.arraycopy(ct, 0, c, ci, width);
    }
  }
}
