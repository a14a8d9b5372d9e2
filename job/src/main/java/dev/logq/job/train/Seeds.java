package dev.logq.job.train;

/** Derives independent, reproducible RNG seeds from a base seed and coordinates (epoch, round, worker). */
final class Seeds {

  private Seeds() {}

  static long mix(long seed, long... coordinates) {
    long h = splitMix(seed);
    for (long c : coordinates) {
      h = splitMix(h ^ splitMix(c + 0x9E3779B97F4A7C15L));
    }
    return h;
  }

  private static long splitMix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
