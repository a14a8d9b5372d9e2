package dev.logq.common.model.sequence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.EmbeddingTable;
import dev.logq.common.model.SparseRows;
import dev.logq.common.model.SparseRowsBuilder;
import dev.logq.common.model.TensorPatch;
import dev.logq.common.model.TensorStore;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The whole encoder (embedding lookup, positions, embedding dropout, 2 blocks of masked 2-head attention and FFN
 * with dropout, final LayerNorm) against central finite differences of sum over valid positions of w . out, with
 * the dropout masks held fixed (the same generator seed for every evaluation).
 */
class EncoderGradientTest {

  static final int NUM_ITEMS = 10;

  /** Seq 0: 2 padding slots then items; seq 1: full, with repeats; seq 2: all padding. */
  static int[] items(int length) {
    int[] items = new int[3 * length];
    java.util.Arrays.fill(items, -1);
    for (int t = 2; t < length; t++) {
      items[t] = (3 * t) % NUM_ITEMS;
    }
    for (int t = 0; t < length; t++) {
      items[length + t] = (t * 7 + 1) % 5;
    }
    return items;
  }

  /** Perturbs the initial parameters so that LayerNorm gains, biases and positions are not at special values. */
  static TensorStore params(CausalTransformerEncoder enc, long seed) {
    TensorStore store = new TensorStore();
    enc.addInitial(store, seed, NUM_ITEMS);
    SplittableRandom r = new SplittableRandom(seed + 1);
    for (String name : store.denseNames()) {
      float[] v = store.dense(name);
      for (int i = 0; i < v.length; i++) {
        v[i] += (float) ((r.nextDouble() - 0.5) * 0.4);
      }
    }
    return store;
  }

  @ParameterizedTest
  @CsvSource({"0.0, FUSED", "0.2, FUSED", "0.2, MATRICES", "0.2, NETLIB"})
  void endToEnd(double dropout, Gemm.Kind kind) {
    int length = 6;
    int d = 8;
    CausalTransformerEncoder enc = new CausalTransformerEncoder("seq", "items", length, d, 2, 2, 12, dropout, kind);
    TensorStore params = params(enc, 11);
    int[] items = items(length);
    int batch = 3;
    int m = batch * length;
    float[] w = Fd.gaussian(new SplittableRandom(12), m * d, 1.0);
    float[] out = new float[m * d];
    Fd.Objective f = () -> {
      enc.forward(params, items, batch, new SplittableRandom(99), out);
      return Fd.dot(w, out);
    };
    CausalTransformerEncoder.Cache cache = enc.forward(params, items, batch, new SplittableRandom(99), out);
    SparseRowsBuilder rows = new SparseRowsBuilder(d, 16);
    TensorPatch grads = new TensorPatch();
    float[] dInput = enc.backward(params, cache, w, rows, grads);
    assertEquals(params.denseNames(), grads.denseNames(), "a gradient for every dense tensor");
    for (String name : params.denseNames()) {
      if (name.endsWith("attn.k.bias")) {
        // q . (k_j + b) shifts every score of a query row by q . b: softmax is invariant, the gradient is 0.
        for (float g : grads.dense(name)) {
          assertEquals(0.0, g, 1e-5, name);
        }
        continue;
      }
      Fd.check(name + " (dropout " + dropout + ", " + kind + ")", params.dense(name), grads.dense(name), f);
    }
    SparseRows itemGrad = rows.build();
    // Exactly the items the batch names, nothing else (sparse updates).
    java.util.TreeSet<Integer> named = new java.util.TreeSet<>();
    for (int item : items) {
      if (item >= 0) {
        named.add(item);
      }
    }
    assertEquals(named.size(), itemGrad.size());
    for (int i = 0; i < itemGrad.size(); i++) {
      assertTrue(named.contains(itemGrad.rowId(i)));
    }
    EmbeddingTable table = params.table("items");
    int[] all = new int[NUM_ITEMS];
    for (int i = 0; i < NUM_ITEMS; i++) {
      all[i] = i;
    }
    Fd.checkTable("item table", table, all, itemGrad, f);
    for (int r = 2 * length; r < 3 * length; r++) {
      for (int k = 0; k < d; k++) {
        assertEquals(0f, dInput[r * d + k], "an all-padding sequence passes no gradient");
      }
    }
  }
}
