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
 * precision; a non-finite loss is "NaN" in the CSV and null in the JSON. With a validation split, one more
 * column per validation metric, {@code val_<metric>} (e.g. {@code val_recall@10}), empty/null where an epoch has
 * none.
 */
public final class TrainingCurveWriter {

  public static final String CSV_HEADER = "epoch,step,loss,examples_per_second";

  private TrainingCurveWriter() {}

  /** The validation metrics of the curve (sorted names), empty when no point has any. */
  public static List<String> validationNames(List<CurvePoint> curve) {
    java.util.TreeSet<String> names = new java.util.TreeSet<>();
    curve.forEach(p -> names.addAll(p.validation().keySet()));
    return new ArrayList<>(names);
  }

  public static String toCsv(List<CurvePoint> curve) {
    List<String> names = validationNames(curve);
    StringBuilder sb = new StringBuilder(CSV_HEADER);
    names.forEach(n -> sb.append(",val_").append(n));
    sb.append('\n');
    for (CurvePoint p : curve) {
      sb.append(p.epoch()).append(',').append(p.step()).append(',').append(p.loss()).append(',')
          .append(p.examplesPerSecond());
      for (String n : names) {
        Double v = p.validation().get(n);
        sb.append(',').append(v == null ? "" : v.toString());
      }
      sb.append('\n');
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
      for (String n : validationNames(curve)) {
        row.put("val_" + n, p.validation().get(n));
      }
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
