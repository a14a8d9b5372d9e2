package dev.logq.job.report;

import dev.logq.job.output.AtomicOutput;
import dev.logq.job.output.JsonOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training curve as {@code <base>.csv} (header {@code epoch,step,loss,examples_per_second}) and
 * {@code <base>.json} (an array of objects with the same fields). Numbers are written in full
 * precision; a non-finite loss is "NaN" in the CSV and null in the JSON.
 */
public final class TrainingCurveWriter {

  public static final String CSV_HEADER = "epoch,step,loss,examples_per_second";

  private TrainingCurveWriter() {}

  public static String toCsv(List<CurvePoint> curve) {
    StringBuilder sb = new StringBuilder(CSV_HEADER).append('\n');
    for (CurvePoint p : curve) {
      sb.append(p.epoch()).append(',').append(p.step()).append(',').append(p.loss()).append(',')
          .append(p.examplesPerSecond()).append('\n');
    }
    return sb.toString();
  }

  public static List<Map<String, Object>> toJsonRows(List<CurvePoint> curve) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (CurvePoint p : curve) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("epoch", p.epoch());
      row.put("step", p.step());
      row.put("loss", p.loss());
      row.put("examples_per_second", p.examplesPerSecond());
      rows.add(row);
    }
    return rows;
  }

  /** Writes {@code relativeBase + ".csv"} and {@code relativeBase + ".json"}, e.g. base "training_curve". */
  public static void write(AtomicOutput output, String relativeBase, List<CurvePoint> curve) throws IOException {
    output.writeString(relativeBase + ".csv", toCsv(curve));
    JsonOutput.write(output, relativeBase + ".json", toJsonRows(curve));
  }
}
