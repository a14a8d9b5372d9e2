package dev.logq.common.model.tower;

import dev.logq.common.config.Named;
import java.util.Locale;

/** How the history tower pools its item embeddings ({@code model.historyPooling}). */
public enum HistoryPooling implements Named {
  /** Plain mean over the non-padding positions. */
  MEAN,
  /** softmax over positions of {@code <a, e_l>} with a learned vector a, then the weighted mean. */
  ATTENTION;

  /** Parses the config spelling ("mean", "attention"), case-insensitive. */
  public static HistoryPooling parse(String value) {
    for (HistoryPooling p : values()) {
      if (p.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("model.historyPooling: unknown value '" + value
        + "' (expected mean or attention)");
  }

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
