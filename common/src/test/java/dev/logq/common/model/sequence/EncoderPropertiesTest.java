package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.SparseRows;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TableInit;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Causality, padding, batch independence, determinism, parameters. */
class EncoderPropertiesTest {

  static final int L = 8;
  static final int D = 8;
  static final int ITEMS = EncoderGradientTest.NUM_ITEMS;

  static CausalTransformerEncoder encoder(double dropout) {
    return new CausalTransformerEncoder("seq", "items", L, D, 2, 2, 16, dropout);
  }

  static CausalTransformerEncoder encoder(double dropout, Gemm.Kind kind) {
    return new CausalTransformerEncoder("seq", "items", L, D, 2, 2, 16, dropout, kind);
  }

  static int[] randomItems(long seed, int batch) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] items = new int[batch * L];
    for (int b = 0; b < batch; b++) {
      int pad = r.nextInt(L);
      for (int t = 0; t < L; t++) {
        items[b * L + t] = t < pad ? -1 : r.nextInt(ITEMS);
      }
    }
    return items;
  }

  static float[] encode(CausalTransformerEncoder enc, TensorStore params, int[] items, int batch, long dropoutSeed) {
    float[] out = new float[batch * L * D];
    enc.forward(params, items, batch, dropoutSeed < 0 ? null : new SplittableRandom(dropoutSeed), out);
    return out;
  }

  static void assertRowsBitIdentical(float[] a, float[] b, int fromRow, int toRow, String what) {
    for (int i = fromRow * D; i < toRow * D; i++) {
      assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), what + " at value " + i);
    }
  }

  @ParameterizedTest
  @EnumSource(Gemm.Kind.class)
  void laterItemsDoNotChangeEarlierOutputs(Gemm.Kind kind) {
    CausalTransformerEncoder enc = encoder(0.1, kind);
    TensorStore params = EncoderGradientTest.params(enc, 3);
    params.table("items"); // present from addInitial
    int batch = 2;
    int[] items = new int[batch * L];
    for (int r = 0; r < items.length; r++) {
      items[r] = (r * 5 + 3) % ITEMS;
    }
    float[] base = encode(enc, params, items, batch, 7);
    for (int t = 0; t < L - 1; t++) {
      int[] changed = items.clone();
      for (int j = t + 1; j < L; j++) {
        changed[j] = (changed[j] + 1 + j) % ITEMS;
      }
      float[] out = encode(enc, params, changed, batch, 7);
      assertRowsBitIdentical(base, out, 0, t + 1, "sequence 0 positions <= " + t);
      assertRowsBitIdentical(base, out, L, 2 * L, "the other sequence");
      boolean differs = false;
      for (int i = (t + 1) * D; i < L * D; i++) {
        differs |= base[i] != out[i];
      }
      assertTrue(differs, "changing positions > " + t + " must change some later output (the test is not vacuous)");
    }
  }

  @Test
  void paddingSlotsOutputZeroAndFullyPaddedSequencesAreDefined() {
    CausalTransformerEncoder enc = encoder(0.2);
    TensorStore params = EncoderGradientTest.params(enc, 4);
    int batch = 3;
    int[] items = randomItems(5, batch);
    for (int t = 0; t < L; t++) {
      items[2 * L + t] = -1;
    }
    float[] out = new float[batch * L * D];
    CausalTransformerEncoder.Cache cache = enc.forward(params, items, batch, new SplittableRandom(1), out);
    for (int r = 0; r < batch * L; r++) {
      for (int k = 0; k < D; k++) {
        float v = out[r * D + k];
        assertTrue(Float.isFinite(v));
        if (items[r] < 0) {
          assertEquals(0f, v, "padding slot " + r);
        }
      }
    }
    // Gradients of a fully padded batch are exactly zero, and finite for any dOut.
    int[] empty = new int[L];
    java.util.Arrays.fill(empty, -1);
    float[] out1 = new float[L * D];
    CausalTransformerEncoder.Cache c1 = enc.forward(params, empty, 1, new SplittableRandom(1), out1);
    SparseRowsBuilder rows = new SparseRowsBuilder(D, 4);
    TensorPatch grads = new TensorPatch();
    float[] dOut = Fd.gaussian(new SplittableRandom(2), L * D, 1.0);
    enc.backward(params, c1, dOut, rows, grads);
    assertEquals(0, rows.size());
    for (String name : grads.denseNames()) {
      for (float g : grads.dense(name)) {
        assertEquals(0f, g, name);
      }
    }
    // And a mixed batch's gradients are finite.
    TensorPatch g2 = new TensorPatch();
    enc.backward(params, cache, Fd.gaussian(new SplittableRandom(3), batch * L * D, 1.0),
        new SparseRowsBuilder(D, 16), g2);
    for (String name : g2.denseNames()) {
      for (float g : g2.dense(name)) {
        assertTrue(Float.isFinite(g), name);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Gemm.Kind.class)
  void aSequenceDoesNotDependOnTheOtherSequencesOfItsBatch(Gemm.Kind kind) {
    CausalTransformerEncoder enc = encoder(0.0, kind);
    TensorStore params = EncoderGradientTest.params(enc, 6);
    int[] items = randomItems(8, 3);
    float[] all = encode(enc, params, items, 3, -1);
    int[] alone = java.util.Arrays.copyOfRange(items, L, 2 * L);
    float[] one = encode(enc, params, alone, 1, -1);
    for (int i = 0; i < L * D; i++) {
      assertEquals(Float.floatToRawIntBits(all[L * D + i]), Float.floatToRawIntBits(one[i]), "value " + i);
    }
  }

  @Test
  void sameSeedSameBitsAndInferenceHasNoDropout() {
    CausalTransformerEncoder enc = encoder(0.3);
    TensorStore params = EncoderGradientTest.params(enc, 9);
    int batch = 4;
    int[] items = randomItems(10, batch);
    float[] dOut = Fd.gaussian(new SplittableRandom(11), batch * L * D, 1.0);
    TensorPatch[] patches = new TensorPatch[2];
    float[][] outs = new float[2][];
    for (int run = 0; run < 2; run++) {
      float[] out = new float[batch * L * D];
      CausalTransformerEncoder.Cache c = enc.forward(params, items, batch, new SplittableRandom(42), out);
      SparseRowsBuilder rows = new SparseRowsBuilder(D, 16);
      TensorPatch grads = new TensorPatch();
      float[] dIn = enc.backward(params, c, dOut, rows, grads);
      grads.putRows("items", rows.build());
      grads.putDense("dInput", dIn);
      patches[run] = grads;
      outs[run] = out;
    }
    assertArrayEquals(outs[0], outs[1]);
    assertTrue(patches[0].bitwiseEquals(patches[1]), "same seed, same gradient bits");
    float[] other = encode(enc, params, items, batch, 43);
    assertFalse(java.util.Arrays.equals(outs[0], other), "another dropout seed gives other masks");
    float[] inference = encode(enc, params, items, batch, -1);
    float[] last = enc.lastPositions(inference, batch);
    for (int k = 0; k < D; k++) {
      assertEquals(inference[(2 * L - 1) * D + k], last[D + k], "user embedding = last slot");
    }
    float[] noDropout = encode(encoder(0.0), params, items, batch, 42);
    assertArrayEquals(inference, noDropout, "no generator = no dropout");
  }

  @Test
  void initialParametersAndShapes() {
    CausalTransformerEncoder enc = new CausalTransformerEncoder("u", "items", 50, 16, 2, 4, 32, 0.1);
    TensorStore a = new TensorStore();
    enc.addInitial(a, 1L, 100);
    TensorStore b = new TensorStore();
    enc.addInitial(b, 1L, 100);
    TensorStore c = new TensorStore();
    enc.addInitial(c, 2L, 100);
    assertTrue(a.bitwiseEquals(b), "initial values are a function of the seed");
    assertFalse(java.util.Arrays.equals(a.dense("u.block.0.attn.q.weight"), c.dense("u.block.0.attn.q.weight")));
    assertFalse(java.util.Arrays.equals(a.dense("u.block.0.attn.q.weight"), a.dense("u.block.0.attn.k.weight")),
        "each tensor draws from its own name");
    assertEquals(1 + 2 * 16 + 2, a.denseNames().size());
    assertEquals(50 * 16, a.dense("u.position").length);
    assertEquals(32 * 16, a.dense("u.block.1.ffn.1.weight").length);
    assertEquals(16 * 32, a.dense("u.block.1.ffn.2.weight").length);
    assertEquals(16 * 16, a.dense("u.block.1.attn.o.weight").length);
    for (float v : a.dense("u.block.0.ln1.gamma")) {
      assertEquals(1f, v);
    }
    for (float v : a.dense("u.block.0.attn.v.bias")) {
      assertEquals(0f, v);
    }
    double sq = 0;
    float[] q = a.dense("u.block.0.attn.q.weight");
    for (float v : q) {
      sq += v * v;
    }
    assertEquals(1.0 / 16, sq / q.length, 0.3 / 16, "LeCun normal variance");
    assertEquals(100, a.table("items").rows());
    assertEquals(16, a.table("items").dim());
    enc.checkShapes(a);
    // A table that exists is kept (shared with the item tower).
    TensorStore shared = new TensorStore();
    shared.addTable("items", 100, 16, TableInit.zeros());
    enc.addInitial(shared, 1L, 100);
    assertEquals(0f, shared.table("items").get(3, 3));
    TensorStore wrong = new TensorStore();
    new CausalTransformerEncoder("u", "items", 49, 16, 2, 4, 32, 0.1).addInitial(wrong, 1L, 100);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> enc.checkShapes(wrong));
    assertTrue(e.getMessage().contains("u.position"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CausalTransformerEncoder("u", "i", 5, 10, 1, 3, 4, 0.0));
    assertThrows(IllegalArgumentException.class, () -> encode(encoder(0.0), EncoderGradientTest.params(encoder(0.0), 1),
        new int[] {0, 1, 2, 3, 4, 5, 6, 99}, 1, -1));
  }

  @Test
  void itemGradientRowsAreTheBatchItemsOnly() {
    CausalTransformerEncoder enc = encoder(0.0);
    TensorStore params = EncoderGradientTest.params(enc, 12);
    int[] items = {-1, -1, -1, 4, 9, 4, 2, 9};
    float[] out = new float[L * D];
    CausalTransformerEncoder.Cache c = enc.forward(params, items, 1, null, out);
    SparseRowsBuilder rows = new SparseRowsBuilder(D, 4);
    enc.backward(params, c, Fd.gaussian(new SplittableRandom(1), L * D, 1.0), rows, new TensorPatch());
    SparseRows built = rows.build();
    assertArrayEquals(new int[] {2, 4, 9}, built.rowIds());
  }
}
