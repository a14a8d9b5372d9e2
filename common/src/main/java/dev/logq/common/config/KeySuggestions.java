package dev.logq.common.config;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean" for unknown configuration keys: the closest declared key by edit distance. */
final class KeySuggestions {

  private KeySuggestions() {}

  /** The known key closest to {@code key} (ignoring case), or null when none is close. */
  static String closest(String key, Collection<String> knownKeys) {
    String k = key.toLowerCase(Locale.ROOT);
    if (k.startsWith(JobConfig.ROOT + ".")) {
      k = k.substring(JobConfig.ROOT.length() + 1);
    }
    String kLast = k.substring(k.lastIndexOf('.') + 1);
    String best = null;
    int bestScore = Integer.MAX_VALUE;
    for (String candidate : knownKeys) {
      String c = candidate.toLowerCase(Locale.ROOT);
      String cLast = c.substring(c.lastIndexOf('.') + 1);
      int score = Math.min(levenshtein(k, c), levenshtein(kLast, cLast) + (k.contains(".") ? 1 : 0));
      if (score < bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    int allowed = Math.max(2, kLast.length() / 3);
    return bestScore <= allowed ? best : null;
  }

  private static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(substitution, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
