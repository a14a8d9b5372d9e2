package dev.logq.job.report;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * report.html: one self-contained page (inline CSS, images referenced by relative name) with the run
 * information, the comparison table, the charts and every metric of every loss.
 */
public final class HtmlReport {

  private HtmlReport() {}

  /**
   * @param images file names of the charts, in the order shown (relative to report.html)
   */
  public static String render(String title, Map<String, String> runInfo, List<RunSummary> runs,
      ComparisonTable table, List<String> images) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(esc(title)).append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse;margin:1em 0}")
        .append("th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}")
        .append("th:first-child,td:first-child{text-align:left}")
        .append("th{background:#f2f2f2}img{max-width:100%;margin:1em 0;border:1px solid #eee}\n")
        .append("</style>\n</head>\n<body>\n<h1>").append(esc(title)).append("</h1>\n");

    if (!runInfo.isEmpty()) {
      h.append("<h2>Run</h2>\n<table>\n");
      runInfo.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n"));
      h.append("</table>\n");
    }

    h.append("<h2>Comparison</h2>\n<table>\n<tr>");
    table.headers().forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
    h.append("</tr>\n");
    for (RunSummary run : runs) {
      h.append("<tr>");
      table.row(run).forEach(c -> h.append("<td>").append(esc(c)).append("</td>"));
      h.append("</tr>\n");
    }
    h.append("</table>\n");

    h.append("<h2>Charts</h2>\n");
    for (String image : images) {
      h.append("<div><img src=\"").append(esc(image)).append("\" alt=\"").append(esc(image)).append("\"></div>\n");
    }

    h.append("<h2>All metrics</h2>\n<table>\n<tr><th>metric</th>");
    runs.forEach(r -> h.append("<th>").append(esc(r.lossName())).append("</th>"));
    h.append("</tr>\n");
    Set<String> names = new LinkedHashSet<>();
    runs.forEach(r -> names.addAll(r.metrics().keySet()));
    for (String name : names) {
      h.append("<tr><td>").append(esc(name)).append("</td>");
      runs.forEach(r -> h.append("<td>").append(ComparisonTable.number(r.metric(name))).append("</td>"));
      h.append("</tr>\n");
    }
    h.append("</table>\n</body>\n</html>\n");
    return h.toString();
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
