package dev.logq.job.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.job.ingest.InputSettings.InputFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineParserTest {

  private static List<LineParser.Record> parse(LineParser p, String line, long offset) {
    List<LineParser.Record> out = new ArrayList<>();
    p.parse(line, offset, 0, out::add);
    return out;
  }

  private static final List<String> HEADER = List.of("user_id", "item_id", "ts", "w");
  private final LineParser csv = new LineParser(InputFormat.CSV, ",", true, HEADER, "f", HEADER, 0, 1, 2, 3);

  @Test
  void csvFieldsAndQuotes() {
    assertEquals(List.of("a", "b,c", "d\"e", ""), LineParser.splitCsv("a,\"b,c\",\"d\"\"e\",", ","));
    assertEquals(List.of("a", " b ", "c"), LineParser.splitCsv("a, \" b \" ,c", ","));
    assertEquals(List.of("x", "y"), LineParser.splitCsv("x;;y", ";;"));
    IllegalArgumentException open = assertThrows(IllegalArgumentException.class, () -> LineParser.splitCsv("a,\"b", ","));
    assertTrue(open.getMessage().contains("unterminated"));
    assertThrows(IllegalArgumentException.class, () -> LineParser.splitCsv("a,\"b\"x,c", ","));
    assertEquals(List.of("a", "", "b", ""), LineParser.splitPlain("a\t\tb\t", "\t"));
  }

  @Test
  void goodRecordAndHeader() {
    assertTrue(parse(csv, "user_id,item_id,ts,w", 0).isEmpty());          // the header
    assertTrue(parse(csv, "\uFEFFuser_id, item_id ,ts,w", 0).isEmpty());   // BOM, blanks
    assertTrue(parse(csv, "   ", 40).isEmpty());                           // blank line
    LineParser.Record r = parse(csv, " u1 ,\"i,1\",1700000000,0.5", 21).get(0);
    assertNull(r.badReason);
    assertEquals("u1", r.user);
    assertEquals("i,1", r.item);
    assertEquals(1700000000L, r.timestamp);
    assertEquals(0.5, r.weight);
  }

  @Test
  void badRecords() {
    assertBad(csv, "u,i,1", "expected 4 fields [user_id, item_id, ts, w] separated by ',' but found 3");
    assertBad(csv, ",i,1,1", "empty user id (column user_id)");
    assertBad(csv, "u, ,1,1", "empty item id (column item_id)");
    assertBad(csv, "u,i,yesterday,1", "timestamp 'yesterday' is not an integer (column ts)");
    assertBad(csv, "u,i,1.5,1", "timestamp '1.5' is not an integer");
    assertBad(csv, "u,i,1,heavy", "weight 'heavy' is not a number (column w)");
    assertBad(csv, "u,i,1,-2", "weight -2.0 is negative (column w)");
    assertBad(csv, "u,i,1,NaN", "weight is NaN");
    assertBad(csv, "u,i,1,Infinity", "weight is infinite");
    assertBad(csv, "u,\"i,1", "unterminated quoted field");
    List<LineParser.Record> header = parse(csv, "user,item,ts,w", 0);
    assertTrue(header.get(0).fatal && header.get(0).badReason.contains("differs from the header"), header.get(0).badReason);
  }

  private static void assertBad(LineParser p, String line, String reason) {
    List<LineParser.Record> out = parse(p, line, 10);
    assertEquals(1, out.size());
    assertTrue(out.get(0).badReason != null && out.get(0).badReason.contains(reason), out.get(0).badReason);
  }

  @Test
  void inputOrderStandsInForTime() {
    List<String> names = List.of("_c0", "_c1");
    LineParser noTime = new LineParser(InputFormat.TSV, "\t", false, null, "f", names, 0, 1, -1, -1);
    List<LineParser.Record> out = new ArrayList<>();
    noTime.parse("a\tb", 0, 3, out::add);
    noTime.parse("a\tc", 4, 3, out::add);
    assertEquals((3L << 40), out.get(0).timestamp);
    assertEquals((3L << 40) + 4, out.get(1).timestamp);
    assertEquals(1.0, out.get(0).weight);
  }

  @Test
  void gowallaLines() {
    LineParser g = LineParser.gowalla();
    List<LineParser.Record> out = new ArrayList<>();
    g.parse("7 10 11 12", 100, 0, out::add);
    g.parse("8", 111, 0, out::add);                     // a user without items
    g.parse("9 10", 113, 0, out::add);
    assertEquals(4, out.size());
    assertEquals("7", out.get(0).user);
    assertEquals("12", out.get(2).item);
    assertEquals(101L, out.get(0).timestamp);
    assertEquals(103L, out.get(2).timestamp);
    assertTrue(out.get(2).timestamp < out.get(3).timestamp);
  }
}
