package dev.logq.common.freq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.error.DataException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class LogQTableTest {

  // counts 3, 1, 0, 4: C = 8, Q = 3/8, 1/8, 0, 1/2
  private final LogQTable table = LogQTable.fromCounts(new long[] {3, 1, 0, 4});

  @Test
  void handComputedExample() {
    assertEquals(4, table.numItems());
    assertEquals(8.0, table.total());
    assertEquals(3.0, table.count(0));
    assertEquals(0.375, table.q(0));
    assertEquals(0.0, table.q(2));
    assertEquals(-0.98082925301172623, table.logQ(0), 1e-15);   // ln(3/8)
    assertEquals(-2.0794415416798359, table.logQ(1), 1e-15);    // ln(1/8)
    assertEquals(-0.69314718055994531, table.logQ(3), 1e-15);   // ln(1/2)
    assertEquals(3, table.presentItems());
    assertFalse(table.weighted());
  }

  @Test
  void absentItemIsAnErrorForTrainingAndClampedForSampling() {
    DataException e = assertThrows(DataException.class, () -> table.logQ(2));
    assertTrue(e.getMessage().contains("item index 2") && e.getMessage().contains("count 0"), e.getMessage());
    assertEquals(Math.log(1e-10), table.logQForSampling(2), 0);
    assertEquals(-23.025850929940457, LogQTable.LOG_Q_FLOOR, 1e-15);
    assertEquals(table.logQ(1), table.logQForSampling(1), 0);
    assertArrayEquals(new double[] {Math.log(3.0 / 8), Math.log(1.0 / 8), Math.log(1e-10), Math.log(0.5)}, table.toArray(), 1e-15);
    // toArray is a copy
    table.toArray()[0] = 99;
    assertEquals(Math.log(3.0 / 8), table.logQ(0), 1e-15);
    assertThrows(IndexOutOfBoundsException.class, () -> table.logQ(4));
    assertThrows(IndexOutOfBoundsException.class, () -> table.logQ(-1));
  }

  @Test
  void emptyOrInvalidCounts() {
    assertThrows(DataException.class, () -> LogQTable.fromCounts(new long[] {0, 0}));
    assertThrows(DataException.class, () -> LogQTable.fromCounts(new long[0]));
    assertThrows(IllegalArgumentException.class, () -> LogQTable.fromCounts(new long[] {1, -1}));
    assertThrows(IllegalArgumentException.class, () -> LogQTable.fromWeights(new double[] {1, Double.NaN}));
  }

  @Test
  void weighted() {
    LogQTable w = LogQTable.fromWeights(new double[] {0.5, 1.5, 2.0});
    assertTrue(w.weighted());
    assertEquals(4.0, w.total());
    assertEquals(Math.log(0.125), w.logQ(0), 1e-15);
  }

  @Test
  void tinyProbabilitiesOfPresentItemsAreNotClamped() {
    long[] counts = {1, 1L << 40};
    LogQTable t = LogQTable.fromCounts(counts);
    assertEquals(Math.log(1.0 / (1 + Math.pow(2, 40))), t.logQ(0), 1e-12);
    assertTrue(t.logQ(0) < LogQTable.LOG_Q_FLOOR);
  }

  @Test
  void binaryRoundTrip() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    table.writeTo(bytes);
    assertEquals(4 + 4 + 1 + 4 + 4 * 8, bytes.size());
    LogQTable back = LogQTable.readFrom(new ByteArrayInputStream(bytes.toByteArray()));
    assertEquals(table, back);
    assertArrayEquals(table.toArray(), back.toArray(), 0);
    assertThrows(IOException.class, () -> LogQTable.readFrom(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 0, 0, 0, 1})));
  }

  @Test
  void javaSerializable() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(table);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(table, in.readObject());
    }
  }
}
