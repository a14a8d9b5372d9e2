package dev.logq.common.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ExitCodeTest {

  @Test
  void codes() {
    assertEquals(0, ExitCode.OK.code());
    assertEquals(1, ExitCode.RUNTIME_FAILURE.code());
    assertEquals(2, ExitCode.BAD_CONFIGURATION.code());
    assertEquals(3, ExitCode.BAD_INPUT_DATA.code());
    assertEquals(4, ExitCode.OUTPUT_EXISTS.code());
  }

  @Test
  void causeChainDecides() {
    DataException data = new DataException("hdfs://nn/x.csv", 7, "line", "weight -1.0 is negative", null);
    assertEquals("Bad input data in hdfs://nn/x.csv line 7: weight -1.0 is negative", data.getMessage());
    assertEquals(ExitCode.BAD_INPUT_DATA, ExitCode.of(new RuntimeException("Job aborted", new IllegalStateException(data))));
    assertSame(data, LogqException.find(new RuntimeException(data)));
    assertEquals(ExitCode.OUTPUT_EXISTS, ExitCode.of(new OutputExistsException("out", "out exists")));
    assertEquals(ExitCode.RUNTIME_FAILURE, ExitCode.of(new IllegalStateException("boom")));
    assertEquals("Bad input data in f: no rows", new DataException("f", "no rows").getMessage());
    assertEquals("Bad input data: item 3 unseen", new DataException(null, "item 3 unseen").getMessage());
  }
}
