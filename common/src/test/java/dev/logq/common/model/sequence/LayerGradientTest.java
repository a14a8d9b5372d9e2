package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Each layer's hand-derived backward pass against central finite differences of sum(w * output). */
class LayerGradientTest {

  @Test
  void layerNorm() {
    SplittableRandom r = new SplittableRandom(1);
    int m = 3;
    int d = 6;
    float[] x = Fd.gaussian(r, m * d, 1.0);
    float[] gamma = Fd.gaussian(r, d, 1.0);
    float[] beta = Fd.gaussian(r, d, 1.0);
    float[] w = Fd.gaussian(r, m * d, 1.0);
    float[] y = new float[m * d];
    float[] mean = new float[m];
    float[] rstd = new float[m];
    Fd.Objective f = () -> {
      LayerNorm.forward(x, gamma, beta, y, mean, rstd, m, d);
      return Fd.dot(w, y);
    };
    f.value();
    float[] dx = new float[m * d];
    float[] dGamma = new float[d];
    float[] dBeta = new float[d];
    LayerNorm.backward(w, x, mean, rstd, gamma, dx, dGamma, dBeta, m, d);
    Fd.check("layerNorm dx", x, dx, f);
    Fd.check("layerNorm dgamma", gamma, dGamma, f);
    Fd.check("layerNorm dbeta", beta, dBeta, f);
  }

  @Test
  void layerNormOfAConstantRowIsFinite() {
    int d = 4;
    float[] x = {2f, 2f, 2f, 2f};
    float[] gamma = {1f, 1f, 1f, 1f};
    float[] beta = {0.5f, 0f, 0f, 0f};
    float[] y = new float[d];
    float[] mean = new float[1];
    float[] rstd = new float[1];
    LayerNorm.forward(x, gamma, beta, y, mean, rstd, 1, d);
    assertEquals(0.5f, y[0]);
    assertEquals(0f, y[1]);
    float[] dx = new float[d];
    LayerNorm.backward(new float[] {1f, -1f, 2f, 0f}, x, mean, rstd, gamma, dx, new float[d], new float[d], 1, d);
    for (float v : dx) {
      assertTrue(Float.isFinite(v));
    }
  }

  /** Seq 0: two padding slots in front; seq 1: full; seq 2: all padding (queries without any key). */
  static boolean[] validPattern(int batch, int length) {
    boolean[] valid = new boolean[batch * length];
    for (int t = 2; t < length; t++) {
      valid[t] = true;
    }
    for (int t = 0; t < length; t++) {
      valid[length + t] = true;
    }
    return valid;
  }

  @ParameterizedTest
  @EnumSource(Gemm.Kind.class)
  void attentionWithCausalAndPaddingMask(Gemm.Kind kind) {
    SplittableRandom r = new SplittableRandom(2);
    int batch = 3;
    int length = 5;
    int d = 6;
    int heads = 2;
    int m = batch * length;
    boolean[] valid = validPattern(batch, length);
    float[] q = Fd.gaussian(r, m * d, 1.0);
    float[] k = Fd.gaussian(r, m * d, 1.0);
    float[] v = Fd.gaussian(r, m * d, 1.0);
    float[] w = Fd.gaussian(r, m * d, 1.0);
    CausalAttention attention = new CausalAttention(batch, length, d, heads);
    float[] probs = new float[attention.probsLength()];
    float[] ctx = new float[m * d];
    Fd.Objective f = () -> {
      attention.forward(Gemm.create(kind), q, k, v, valid, probs, ctx);
      return Fd.dot(w, ctx);
    };
    f.value();
    // Weights: rows sum to 1 over allowed keys, 0 at future and padding keys; no-key rows are all 0.
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        for (int t = 0; t < length; t++) {
          double sum = 0.0;
          boolean any = false;
          for (int j = 0; j < length; j++) {
            float p = probs[((b * heads + h) * length + t) * length + j];
            boolean allowed = j <= t && valid[b * length + j];
            any |= allowed;
            if (!allowed) {
              assertEquals(0f, p, "weight at a masked key");
            }
            sum += p;
          }
          assertEquals(any ? 1.0 : 0.0, sum, 1e-6);
        }
      }
    }
    for (int t = 0; t < length; t++) {
      for (int c = 0; c < d; c++) {
        assertEquals(0f, ctx[(2 * length + t) * d + c], "a query with no key outputs 0");
        if (t < 2) {
          assertEquals(0f, ctx[t * d + c], "padding queries of seq 0 output 0");
        }
      }
    }
    float[] dq = new float[m * d];
    float[] dk = new float[m * d];
    float[] dv = new float[m * d];
    attention.backward(Gemm.create(kind), q, k, v, probs, w, dq, dk, dv);
    for (int i = 0; i < m * d; i++) {
      assertTrue(Float.isFinite(dq[i]) && Float.isFinite(dk[i]) && Float.isFinite(dv[i]));
      if (!valid[i / d]) {
        assertEquals(0f, dk[i], "padding key gets no gradient");
        assertEquals(0f, dv[i], "padding value gets no gradient");
      }
    }
    Fd.check("attention dq " + kind, q, dq, f);
    Fd.check("attention dk " + kind, k, dk, f);
    Fd.check("attention dv " + kind, v, dv, f);
  }

  @ParameterizedTest
  @EnumSource(Gemm.Kind.class)
  void feedForward(Gemm.Kind kind) {
    SplittableRandom r = new SplittableRandom(3);
    int m = 4;
    int d = 5;
    int hidden = 7;
    float[] x = Fd.gaussian(r, m * d, 1.0);
    float[] w1 = Fd.gaussian(r, hidden * d, 0.5);
    float[] b1 = Fd.gaussian(r, hidden, 0.5);
    float[] w2 = Fd.gaussian(r, d * hidden, 0.5);
    float[] b2 = Fd.gaussian(r, d, 0.5);
    float[] w = Fd.gaussian(r, m * d, 1.0);
    float[] h1 = new float[m * hidden];
    float[] y = new float[m * d];
    Fd.Objective f = () -> {
      Gemm gemm = Gemm.create(kind);
      Linear.forward(gemm, x, w1, b1, h1, m, d, hidden);
      for (int i = 0; i < h1.length; i++) {
        h1[i] = Math.max(0f, h1[i]);
      }
      Linear.forward(gemm, h1, w2, b2, y, m, hidden, d);
      return Fd.dot(w, y);
    };
    f.value();
    Gemm gemm = Gemm.create(kind);
    float[] dH = new float[m * hidden];
    float[] dW2 = new float[d * hidden];
    float[] dB2 = new float[d];
    Linear.backward(gemm, w, h1, w2, dH, dW2, dB2, m, hidden, d);
    for (int i = 0; i < dH.length; i++) {
      if (h1[i] <= 0f) {
        dH[i] = 0f;
      }
    }
    float[] dx = new float[m * d];
    float[] dW1 = new float[hidden * d];
    float[] dB1 = new float[hidden];
    Linear.backward(gemm, dH, x, w1, dx, dW1, dB1, m, d, hidden);
    Fd.check("ffn dx " + kind, x, dx, f);
    Fd.check("ffn dW1 " + kind, w1, dW1, f);
    Fd.check("ffn db1 " + kind, b1, dB1, f);
    Fd.check("ffn dW2 " + kind, w2, dW2, f);
    Fd.check("ffn db2 " + kind, b2, dB2, f);
  }

  @Test
  void dropoutWithAFixedMask() {
    SplittableRandom r = new SplittableRandom(4);
    int n = 40;
    float[] mask = Dropout.mask(new SplittableRandom(9), 0.3, n);
    int zeros = 0;
    for (float v : mask) {
      assertTrue(v == 0f || v == (float) (1.0 / 0.7));
      zeros += v == 0f ? 1 : 0;
    }
    assertTrue(zeros > 3 && zeros < 25, "about 30% dropped, got " + zeros);
    float[] x = Fd.gaussian(r, n, 1.0);
    float[] w = Fd.gaussian(r, n, 1.0);
    float[] y = new float[n];
    Fd.Objective f = () -> {
      System.arraycopy(x, 0, y, 0, n);
      Dropout.apply(y, mask, n);
      return Fd.dot(w, y);
    };
    float[] dx = w.clone();
    Dropout.apply(dx, mask, n);
    Fd.check("dropout dx", x, dx, f);
    assertEquals(null, Dropout.mask(null, 0.3, n), "no generator: inference, no mask");
    assertEquals(null, Dropout.mask(new SplittableRandom(1), 0.0, n));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
  void causalBlocksGiveTheFullProductsBits(int heads) {
    // L = 37: blocks of 16, 16 and 5 query rows; padding at the front of sequence 0, an all-padding sequence 2.
    SplittableRandom r = new SplittableRandom(31 + heads);
    int batch = 3;
    int length = 37;
    int d = 8;
    int m = batch * length;
    boolean[] valid = new boolean[m];
    for (int t = 0; t < length; t++) {
      valid[t] = t >= 9;
      valid[length + t] = true;
    }
    float[] q = Fd.gaussian(r, m * d, 1.0);
    float[] k = Fd.gaussian(r, m * d, 1.0);
    float[] v = Fd.gaussian(r, m * d, 1.0);
    float[] w = Fd.gaussian(r, m * d, 1.0);
    float[][] results = new float[2][];
    for (int blocks = 0; blocks < 2; blocks++) {
      CausalAttention attention = new CausalAttention(batch, length, d, heads, blocks == 1);
      float[] probs = new float[attention.probsLength()];
      float[] ctx = new float[m * d];
      attention.forward(Gemm.create(Gemm.Kind.FUSED), q, k, v, valid, probs, ctx);
      float[] dq = new float[m * d];
      float[] dk = new float[m * d];
      float[] dv = new float[m * d];
      attention.backward(Gemm.create(Gemm.Kind.FUSED), q, k, v, probs, w, dq, dk, dv);
      float[] all = new float[probs.length + 4 * m * d];
      System.arraycopy(probs, 0, all, 0, probs.length);
      System.arraycopy(ctx, 0, all, probs.length, m * d);
      System.arraycopy(dq, 0, all, probs.length + m * d, m * d);
      System.arraycopy(dk, 0, all, probs.length + 2 * m * d, m * d);
      System.arraycopy(dv, 0, all, probs.length + 3 * m * d, m * d);
      results[blocks] = all;
      if (blocks == 1) {
        Fd.Objective f = () -> {
          attention.forward(Gemm.create(Gemm.Kind.FUSED), q, k, v, valid, probs, ctx);
          return Fd.dot(w, ctx);
        };
        Fd.check("blocked attention dq", q, dq, f);
        Fd.check("blocked attention dk", k, dk, f);
        Fd.check("blocked attention dv", v, dv, f);
      }
    }
    for (int i = 0; i < results[0].length; i++) {
      assertEquals(Float.floatToRawIntBits(results[0][i]), Float.floatToRawIntBits(results[1][i]), "value " + i);
    }
  }

  @Test
  void reluAndItsBackwardByHand() {
    float[] h = {-1f, -0f, 0f, 2f, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE};
    CausalTransformerEncoder.relu(h, h.length);
    float[] expected = {0f, 0f, 0f, 2f, Float.NaN, Float.MIN_VALUE, 0f};
    for (int i = 0; i < h.length; i++) {
      // Bit equality: -0 must have become +0, or the backward mask would pass its gradient.
      assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(h[i]), "relu element " + i);
    }
    float[] dH = {1f, 2f, 3f, 4f, 5f, 6f, 7f};
    CausalTransformerEncoder.reluBackward(h, dH, dH.length);
    assertArrayEquals(new float[] {0f, 0f, 0f, 4f, 5f, 6f, 0f}, dH);
  }

  @Test
  void dropoutMasksFollowTheirDrawRuleAndRate() {
    // Two elements per 64-bit draw: the high half decides element 2i, the low half 2i + 1 (odd n: the last
    // element takes a draw's high half).
    int n = 1_000_001;
    double p = 0.2;
    float[] mask = Dropout.mask(new SplittableRandom(21), p, n);
    SplittableRandom again = new SplittableRandom(21);
    long threshold = Math.round(p * 0x1p32);
    float keep = (float) (1.0 / (1.0 - p));
    int zeros = 0;
    for (int i = 0; i < n; i += 2) {
      long bits = again.nextLong();
      assertEquals((bits >>> 32) < threshold ? 0f : keep, mask[i], 0f, "element " + i);
      if (i + 1 < n) {
        assertEquals((bits & 0xffffffffL) < threshold ? 0f : keep, mask[i + 1], 0f, "element " + (i + 1));
      }
    }
    for (float v : mask) {
      zeros += v == 0f ? 1 : 0;
    }
    // Binomial(n, 0.2): standard deviation 0.0004 of the fraction; 5 of them.
    assertEquals(p, zeros / (double) n, 0.002, "dropped fraction");
  }

  @Test
  void everyBackendAgreesOnOffsetProducts() {
    SplittableRandom r = new SplittableRandom(5);
    int m = 7;
    int n = 5;
    int k = 9;
    float[] a = Fd.gaussian(r, 3 + m * k, 1.0);
    float[] b = Fd.gaussian(r, 2 + n * k, 1.0);
    float[] bk = Fd.gaussian(r, 2 + k * n, 1.0);
    float[] bm = Fd.gaussian(r, 2 + m * n, 1.0);
    for (int op = 0; op < 3; op++) {
      float[][] outs = new float[Gemm.Kind.values().length][];
      for (Gemm.Kind kind : Gemm.Kind.values()) {
        Gemm g = Gemm.create(kind);
        float[] out = new float[4 + Math.max(m * n, k * n)];
        java.util.Arrays.fill(out, 0.25f);
        if (op == 0) {
          g.abT(a, 3, b, 2, out, 4, m, n, k);
        } else if (op == 1) {
          g.abAdd(a, 3, bk, 2, out, 4, m, n, k);
        } else {
          g.aTbAdd(a, 3, bm, 2, out, 4, m, n, k);
        }
        outs[kind.ordinal()] = out;
      }
      // Scalar reference for entry (0, 1) of each product.
      double ref;
      if (op == 0) {
        ref = 0;
        for (int p = 0; p < k; p++) {
          ref += a[3 + p] * b[2 + k + p];
        }
      } else if (op == 1) {
        ref = 0.25;
        for (int p = 0; p < k; p++) {
          ref += a[3 + p] * bk[2 + p * n + 1];
        }
      } else {
        ref = 0.25;
        for (int i = 0; i < m; i++) {
          ref += a[3 + i * k] * bm[2 + i * n + 1];
        }
      }
      assertEquals(ref, outs[0][5], 1e-4, Gemm.Kind.values()[0] + " op " + op);
      for (int kind = 1; kind < outs.length; kind++) {
        assertEquals(ref, outs[kind][5], 1e-4, Gemm.Kind.values()[kind] + " op " + op);
        assertEquals(0.25f, outs[kind][3], "before the offset untouched");
        for (int i = 0; i < outs[0].length; i++) {
          assertEquals(outs[0][i], outs[kind][i], 1e-4, "op " + op + " entry " + i + " kind " + kind);
        }
      }
    }
  }
}
