package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** TensorPatch and SparseRows: arithmetic, determinism, both serialisations. */
class TensorPatchTest {

  @Test
  void addScaledIsTheUnionOfRowsWithSums() {
    TensorPatch a = new TensorPatch()
        .putRows("t", new SparseRows(2, new int[] {1, 4, 9}, new float[] {1, 2, 3, 4, 5, 6}))
        .putDense("w", new float[] {1, 1});
    TensorPatch b = new TensorPatch()
        .putRows("t", new SparseRows(2, new int[] {0, 4, 10}, new float[] {10, 20, 30, 40, 50, 60}))
        .putRows("u", new SparseRows(1, new int[] {3}, new float[] {7}))
        .putDense("w", new float[] {2, 4})
        .putDense("z", new float[] {1});
    a.addScaled(b, 0.5f);
    SparseRows t = a.rows("t");
    assertArrayEquals(new int[] {0, 1, 4, 9, 10}, t.rowIds());
    float[] expected = {5, 10, 1, 2, 18, 24, 5, 6, 25, 30};
    for (int i = 0; i < 5; i++) {
      assertEquals(expected[2 * i], t.get(i, 0));
      assertEquals(expected[2 * i + 1], t.get(i, 1));
    }
    assertEquals(3.5f, a.rows("u").get(0, 0));
    assertArrayEquals(new float[] {2, 3}, a.dense("w"));
    assertArrayEquals(new float[] {0.5f}, a.dense("z"));
    // b is untouched and shares no arrays with a.
    assertEquals(10f, b.rows("t").get(0, 0));
    a.scale(2f);
    assertEquals(7f, b.rows("u").get(0, 0));
    assertEquals(7f, a.rows("u").get(0, 0));
  }

  @Test
  void addScaledInPlaceWhenRowsAreASubset() {
    TensorPatch a = new TensorPatch().putRows("t", new SparseRows(1, new int[] {1, 2, 3}, new float[] {1, 2, 3}));
    TensorPatch b = new TensorPatch().putRows("t", new SparseRows(1, new int[] {2}, new float[] {10}));
    a.addScaled(b, -1f);
    assertArrayEquals(new int[] {1, 2, 3}, a.rows("t").rowIds());
    assertEquals(-8f, a.rows("t").get(1, 0));
  }

  @Test
  void summationIsDeterministicAndOrderDefined() {
    Random random = new Random(4);
    TensorPatch[] parts = new TensorPatch[6];
    for (int p = 0; p < parts.length; p++) {
      parts[p] = randomPatch(random, 2_000, 300, 8);
    }
    TensorPatch first = sum(parts);
    TensorPatch second = sum(parts);
    assertTrue(first.bitwiseEquals(second), "same inputs in the same order give the same bits");
    assertFalse(first.isEmpty());
    // The summed rows are the union of the parts' rows, sorted.
    java.util.TreeSet<Integer> union = new java.util.TreeSet<>();
    for (TensorPatch part : parts) {
      for (int id : part.rows("t").rowIds()) {
        union.add(id);
      }
    }
    assertArrayEquals(union.stream().mapToInt(Integer::intValue).toArray(), first.rows("t").rowIds());
    // And each value is the float sum in part order.
    int row = first.rows("t").rowId(17);
    float expected = 0f;
    for (TensorPatch part : parts) {
      int i = part.rows("t").indexOf(row);
      if (i >= 0) {
        expected += part.rows("t").get(i, 3);
      }
    }
    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(first.rows("t").get(17, 3)));
  }

  private static TensorPatch sum(TensorPatch[] parts) {
    TensorPatch total = new TensorPatch();
    for (TensorPatch part : parts) {
      total.addScaled(part, 1f);
    }
    return total;
  }

  @Test
  void binaryRoundTripAndExactSize() throws IOException {
    TensorPatch patch = randomPatch(new Random(1), 50_000, 1_000, 16);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      patch.writeTo(out);
    }
    assertEquals(patch.sizeInBytes(), buffer.size());
    TensorPatch read = TensorPatch.readFrom(new DataInputStream(new ByteArrayInputStream(buffer.toByteArray())));
    assertTrue(patch.bitwiseEquals(read));
  }

  @Test
  void byteBufferFormIsTheStreamFormByteForByte() throws IOException {
    TensorPatch patch = randomPatch(new Random(3), 50_000, 1_000, 16);
    patch.putDense("nan", new float[] {Float.NaN, -0f, Float.POSITIVE_INFINITY});
    patch.putRows("t\u00e9\u20ac", new SparseRows(2, new int[] {0, 7}, new float[] {1, -0f, 3, 4})); // 2-, 3-byte UTF
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    patch.writeTo(new DataOutputStream(stream));
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) patch.sizeInBytes() + 5);
    buffer.put((byte) 9); // at an offset, as after a message header
    patch.writeTo(buffer);
    assertEquals(1 + patch.sizeInBytes(), buffer.position());
    byte[] written = java.util.Arrays.copyOfRange(buffer.array(), 1, buffer.position());
    assertArrayEquals(stream.toByteArray(), written);

    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(buffer.array(), 1, buffer.position() - 1);
    TensorPatch back = TensorPatch.readFrom(in);
    assertFalse(in.hasRemaining());
    assertTrue(patch.bitwiseEquals(back));
    IOException truncated = assertThrows(IOException.class,
        () -> TensorPatch.readFrom(java.nio.ByteBuffer.wrap(written, 0, written.length - 3)));
    assertTrue(truncated.getMessage().contains("corrupt") || truncated.getMessage().contains("truncated"),
        truncated.getMessage());
  }

  @Test
  void javaSerialisationRoundTrip() throws Exception {
    TensorPatch patch = randomPatch(new Random(2), 10_000, 500, 4);
    patch.putDense("nan", new float[] {Float.NaN, -0f, Float.POSITIVE_INFINITY});
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
      out.writeObject(patch);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buffer.toByteArray()))) {
      TensorPatch read = (TensorPatch) in.readObject();
      assertTrue(patch.bitwiseEquals(read));
    }
    // Compact: little more than the raw payload.
    assertTrue(buffer.size() < patch.sizeInBytes() + 200, buffer.size() + " vs " + patch.sizeInBytes());
  }

  @Test
  void sparseRowsValidateTheirIds() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SparseRows(1, new int[] {3, 3}, new float[2]));
    assertTrue(e.getMessage().contains("strictly increasing"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SparseRows(2, new int[] {1}, new float[3]));
    assertThrows(IllegalArgumentException.class, () -> new SparseRows(1, new int[] {-1}, new float[1]));
  }

  @Test
  void builderSumsRepeatedRowsAndSortsIds() {
    SparseRowsBuilder builder = new SparseRowsBuilder(2, 2);
    int[] rows = {50, 3, 50, 1_000_000, 3, 7};
    for (int i = 0; i < rows.length; i++) {
      builder.add(rows[i], new float[] {i, 1}, 0, 2f);
    }
    SparseRows built = builder.build();
    assertArrayEquals(new int[] {3, 7, 50, 1_000_000}, built.rowIds());
    assertArrayEquals(new float[] {10, 4}, row(built, 0));
    assertArrayEquals(new float[] {10, 2}, row(built, 1));
    assertArrayEquals(new float[] {4, 4}, row(built, 2));
    assertArrayEquals(new float[] {6, 2}, row(built, 3));
    assertEquals(-1, Integer.signum(built.indexOf(4)));
    builder.clear();
    assertEquals(0, builder.build().size());
    // Many distinct rows (forces rehashing) all survive.
    for (int r = 0; r < 10_000; r++) {
      builder.add(r * 7, new float[] {r, -r}, 0);
    }
    SparseRows many = builder.build();
    assertEquals(10_000, many.size());
    assertEquals(9_999f, many.get(9_999, 0));
    assertEquals(7 * 9_999, many.rowId(9_999));
  }

  @Test
  void absentNamesAreNull() {
    TensorPatch patch = new TensorPatch();
    assertNull(patch.rows("x"));
    assertNull(patch.dense("x"));
    assertTrue(patch.isEmpty());
  }

  private static float[] row(SparseRows rows, int i) {
    float[] out = new float[rows.dim()];
    rows.copyRow(i, out, 0);
    return out;
  }

  /** Random rows of table "t" (ids below idRange) and a dense tensor "w". */
  static TensorPatch randomPatch(Random random, int idRange, int count, int dim) {
    java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
    while (ids.size() < count) {
      ids.add(random.nextInt(idRange));
    }
    int[] idArray = ids.stream().mapToInt(Integer::intValue).toArray();
    float[] values = new float[count * dim];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    float[] dense = new float[37];
    for (int i = 0; i < dense.length; i++) {
      dense[i] = (float) random.nextGaussian();
    }
    return new TensorPatch().putRows("t", new SparseRows(dim, idArray, values)).putDense("w", dense);
  }
}
