package dev.logq.common.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.model.tower.HistoryPooling;
import dev.logq.common.model.tower.HistoryTower;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** EmbeddingTable and TensorStore: storage, lazy chunks, initialisation, checkpoint format, patches. */
class TensorStoreTest {

  private static ModelSpec spec(long seed) {
    return ModelSpec.builder().numUsers(300).numItems(70_000).embeddingDim(6).outputDim(4).userMlp(5).itemMlp(3)
        .userTower(new HistoryTower(3, HistoryPooling.ATTENTION))
        .initStd(0.2).seed(seed).build();
  }

  @Test
  void initialParametersArePureFunctionsOfTheSpec() {
    TensorStore a = TwoTowerModel.initialParameters(spec(7));
    TensorStore b = TwoTowerModel.initialParameters(spec(7));
    TensorStore other = TwoTowerModel.initialParameters(spec(8));
    assertTrue(a.bitwiseEquals(b));
    assertFalse(a.bitwiseEquals(other));
    float[] rowA = new float[6];
    float[] rowOther = new float[6];
    a.table(TwoTowerModel.ITEM_EMBEDDING).readRow(12_345, rowA, 0);
    other.table(TwoTowerModel.ITEM_EMBEDDING).readRow(12_345, rowOther, 0);
    assertFalse(java.util.Arrays.equals(rowA, rowOther), "another seed, other values");
    // Nothing is materialised: untouched rows are regenerated on read.
    assertEquals(0, a.table(TwoTowerModel.ITEM_EMBEDDING).materializedChunks());
    // The history table is a separate table with its own values (the towers share nothing).
    float[] history = new float[6];
    a.table(TwoTowerModel.HISTORY_EMBEDDING).readRow(12_345, history, 0);
    assertFalse(java.util.Arrays.equals(rowA, history));
    // Pinned values: the initialiser is part of the checkpoint format and must never drift.
    assertEquals(Float.floatToIntBits(goldenValue()), Float.floatToIntBits(rowA[0]),
        "item.embedding[12345][0] for seed 7, std 0.2 changed: the GAUSSIAN_V1 initialiser must not change");
  }

  /** The value pinned by {@link #initialParametersArePureFunctionsOfTheSpec}, recomputed from the documented recipe. */
  private static float goldenValue() {
    long h = 0xCBF29CE484222325L;
    for (byte c : TwoTowerModel.ITEM_EMBEDDING.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h ^= c & 0xFF;
      h *= 0x100000001B3L;
    }
    long golden = 0x9E3779B97F4A7C15L;
    long key = splitMix(7L ^ splitMix(h));
    long rowKey = splitMix(key + 12_345L * golden);
    long h1 = splitMix(rowKey + golden);
    long h2 = splitMix(rowKey + 2 * golden);
    double u1 = ((h1 >>> 11) + 1) * 0x1.0p-53;
    double u2 = (h2 >>> 11) * 0x1.0p-53;
    return (float) (0.2 * StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2));
  }

  private static long splitMix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Test
  void initialRowsAreGaussianWithTheRequestedStd() {
    EmbeddingTable table = new EmbeddingTable("t", 20_000, 8, TableInit.gaussian(1, 0.3));
    double sum = 0;
    double sumSq = 0;
    int beyond3Sigma = 0;
    float[] row = new float[8];
    for (int r = 0; r < table.rows(); r++) {
      table.readRow(r, row, 0);
      for (float v : row) {
        sum += v;
        sumSq += (double) v * v;
        if (Math.abs(v) > 0.9) {
          beyond3Sigma++;
        }
      }
    }
    int n = table.rows() * 8;
    double mean = sum / n;
    double std = Math.sqrt(sumSq / n - mean * mean);
    assertEquals(0.0, mean, 0.005);
    assertEquals(0.3, std, 0.005);
    // N(0,1): P(|z| > 3) = 0.0027, i.e. about 432 of 160000.
    assertTrue(beyond3Sigma > 300 && beyond3Sigma < 570, "tail count " + beyond3Sigma);
  }

  @Test
  void materialisedAndLazyRowsAgree() {
    EmbeddingTable table = new EmbeddingTable("t", 10_000, 5, TableInit.gaussian(3, 1.0));
    float[] lazy = new float[5];
    table.readRow(4_321, lazy, 0);
    table.writeRow(4_320, new float[] {1, 2, 3, 4, 5}, 0); // materialises the chunk
    assertEquals(1, table.materializedChunks());
    float[] materialised = new float[5];
    table.readRow(4_321, materialised, 0);
    assertArrayEquals(lazy, materialised);
    assertEquals(3f, table.get(4_320, 2));
    EmbeddingTable fresh = new EmbeddingTable("t", 10_000, 5, TableInit.gaussian(3, 1.0));
    assertFalse(fresh.bitwiseEquals(table));
    fresh.writeRow(4_320, new float[] {1, 2, 3, 4, 5}, 0);
    assertTrue(fresh.bitwiseEquals(table));
    table.materializeAll();
    assertTrue(fresh.bitwiseEquals(table), "materialising changes no value");
  }

  @Test
  void tablesBeyondTwoBillionFloatsAddressEveryRow() {
    // 2^31 - 1 rows x 4 = 8.6e9 floats: only the two chunks written are allocated.
    EmbeddingTable table = new EmbeddingTable("huge", Integer.MAX_VALUE, 4, TableInit.zeros());
    float[] last = {1f, 2f, 3f, 4f};
    float[] first = {-1f, -2f, -3f, -4f};
    table.writeRow(Integer.MAX_VALUE - 1, last, 0);
    table.writeRow(0, first, 0);
    table.addToRow(Integer.MAX_VALUE - 1, last, 0, 0.5f);
    float[] out = new float[4];
    table.readRow(Integer.MAX_VALUE - 1, out, 0);
    assertArrayEquals(new float[] {1.5f, 3f, 4.5f, 6f}, out);
    table.readRow(0, out, 0);
    assertArrayEquals(first, out);
    table.readRow(Integer.MAX_VALUE / 2, out, 0);
    assertArrayEquals(new float[4], out);
    assertEquals(2, table.materializedChunks());
    assertTrue(table.materializedBytes() <= 2L * 4 * table.chunkRows() * 4);
    assertThrows(IndexOutOfBoundsException.class, () -> table.readRow(-1, new float[4], 0));
  }

  @Test
  void rowIndexErrorsNameTheTable() {
    EmbeddingTable table = new EmbeddingTable("item.embedding", 10, 2, TableInit.zeros());
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> table.writeRow(10, new float[2], 0));
    assertTrue(e.getMessage().contains("item.embedding") && e.getMessage().contains("10 rows"), e.getMessage());
  }

  @Test
  void binaryRoundTripKeepsEveryBitAndLaziness() throws IOException {
    TensorStore store = trainedLookingStore();
    byte[] bytes = toBytes(store);
    assertEquals(store.serializedBytes(), bytes.length);
    TensorStore read = TensorStore.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    assertTrue(store.bitwiseEquals(read));
    assertEquals(store.table(TwoTowerModel.ITEM_EMBEDDING).materializedChunks(),
        read.table(TwoTowerModel.ITEM_EMBEDDING).materializedChunks());
    // Only touched chunks are written: far smaller than 70000 x 6 floats.
    assertTrue(bytes.length < 70_000 * 6 * 4 / 2, "checkpoint of " + bytes.length + " bytes");
    // A corrupted header is an error that says what is wrong.
    bytes[3] ^= 1;
    IOException e = assertThrows(IOException.class,
        () -> TensorStore.readFrom(new DataInputStream(new ByteArrayInputStream(bytes))));
    assertTrue(e.getMessage().contains("not a logq tensor store"), e.getMessage());
  }

  @Test
  void unsupportedVersionIsRejected() throws IOException {
    byte[] bytes = toBytes(new TensorStore());
    bytes[7] = 9;
    IOException e = assertThrows(IOException.class,
        () -> TensorStore.readFrom(new DataInputStream(new ByteArrayInputStream(bytes))));
    assertTrue(e.getMessage().contains("version 9"), e.getMessage());
  }

  @Test
  void javaSerialisationRoundTrip() throws Exception {
    TensorStore store = trainedLookingStore();
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
      out.writeObject(store);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buffer.toByteArray()))) {
      TensorStore read = (TensorStore) in.readObject();
      assertTrue(store.bitwiseEquals(read));
    }
  }

  @Test
  void copyIsDeep() {
    TensorStore store = trainedLookingStore();
    TensorStore copy = store.copy();
    assertTrue(store.bitwiseEquals(copy));
    copy.table(TwoTowerModel.ITEM_EMBEDDING).writeRow(5, new float[] {9, 9, 9, 9, 9, 9}, 0);
    copy.dense(TwoTowerModel.EMPTY_HISTORY)[0] += 1f;
    assertFalse(store.bitwiseEquals(copy));
    assertNotEquals(9f, store.table(TwoTowerModel.ITEM_EMBEDDING).get(5, 0));
  }

  @Test
  void applyPatchOverwritesExactlyTheListedRowsAndTensors() {
    TensorStore store = trainedLookingStore();
    TensorStore before = store.copy();
    float[] newRows = {1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2};
    TensorPatch patch = new TensorPatch()
        .putRows(TwoTowerModel.ITEM_EMBEDDING, new SparseRows(6, new int[] {3, 65_537}, newRows))
        .putDense(TwoTowerModel.ATTENTION_VECTOR, new float[] {5, 5, 5, 5, 5, 5});
    store.applyPatch(patch);
    EmbeddingTable items = store.table(TwoTowerModel.ITEM_EMBEDDING);
    EmbeddingTable old = before.table(TwoTowerModel.ITEM_EMBEDDING);
    for (int row : new int[] {0, 2, 4, 65_536, 65_538, 69_999}) {
      for (int k = 0; k < 6; k++) {
        assertEquals(old.get(row, k), items.get(row, k));
      }
    }
    assertEquals(1f, items.get(3, 5));
    assertEquals(2f, items.get(65_537, 0));
    assertArrayEquals(new float[] {5, 5, 5, 5, 5, 5}, store.dense(TwoTowerModel.ATTENTION_VECTOR));
    assertArrayEquals(before.dense(TwoTowerModel.EMPTY_HISTORY), store.dense(TwoTowerModel.EMPTY_HISTORY));
    // gatherRows reads them back.
    TensorPatch gathered = TensorPatch.gatherRows(store, patch);
    assertTrue(gathered.bitwiseEquals(patch));
  }

  @Test
  void applyPatchRejectsMismatchesBeforeWritingAnything() {
    TensorStore store = trainedLookingStore();
    TensorStore before = store.copy();
    TensorPatch bad = new TensorPatch()
        .putRows(TwoTowerModel.ITEM_EMBEDDING, new SparseRows(6, new int[] {1}, new float[6]))
        .putDense(TwoTowerModel.ATTENTION_VECTOR, new float[3]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.applyPatch(bad));
    assertTrue(e.getMessage().contains(TwoTowerModel.ATTENTION_VECTOR), e.getMessage());
    assertTrue(store.bitwiseEquals(before));
    TensorPatch outOfRange = new TensorPatch()
        .putRows(TwoTowerModel.ITEM_EMBEDDING, new SparseRows(6, new int[] {70_000}, new float[6]));
    assertThrows(IllegalArgumentException.class, () -> store.applyPatch(outOfRange));
    TensorPatch unknown = new TensorPatch().putDense("nope", new float[1]);
    e = assertThrows(IllegalArgumentException.class, () -> store.applyPatch(unknown));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
  }

  @Test
  void tensorNamesAreUnique() {
    TensorStore store = new TensorStore();
    store.addTable("a", 3, 2, TableInit.zeros());
    assertThrows(IllegalArgumentException.class, () -> store.putDense("a", new float[1]));
    assertThrows(IllegalArgumentException.class, () -> store.addTable("a", 3, 2, TableInit.zeros()));
    assertEquals(Set.of("a"), store.tableNames());
    assertTrue(store.denseNames().isEmpty());
  }

  @Test
  void gatherRowsByIds() {
    TensorStore store = trainedLookingStore();
    TensorPatch patch = TensorPatch.gatherRows(store, Map.of(TwoTowerModel.ITEM_EMBEDDING, new int[] {2, 7}),
        Set.of(TwoTowerModel.EMPTY_HISTORY));
    SparseRows rows = patch.rows(TwoTowerModel.ITEM_EMBEDDING);
    assertEquals(2, rows.size());
    assertEquals(store.table(TwoTowerModel.ITEM_EMBEDDING).get(7, 4), rows.get(1, 4));
    assertArrayEquals(store.dense(TwoTowerModel.EMPTY_HISTORY), patch.dense(TwoTowerModel.EMPTY_HISTORY));
    patch.dense(TwoTowerModel.EMPTY_HISTORY)[0] += 1;
    assertNotEquals(store.dense(TwoTowerModel.EMPTY_HISTORY)[0], patch.dense(TwoTowerModel.EMPTY_HISTORY)[0],
        "gathered dense tensors are copies");
  }

  /** Initial parameters with a few rows written in two chunks of the item table. */
  private static TensorStore trainedLookingStore() {
    TensorStore store = TwoTowerModel.initialParameters(spec(7));
    EmbeddingTable items = store.table(TwoTowerModel.ITEM_EMBEDDING);
    items.writeRow(5, new float[] {1, 2, 3, 4, 5, 6}, 0);
    items.addToRow(65_600, new float[] {1, 1, 1, 1, 1, 1}, 0, 0.25f);
    store.dense(TwoTowerModel.ATTENTION_VECTOR)[2] = 0.5f;
    return store;
  }

  private static byte[] toBytes(TensorStore store) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buffer)) {
      store.writeTo(out);
    }
    return buffer.toByteArray();
  }
}
