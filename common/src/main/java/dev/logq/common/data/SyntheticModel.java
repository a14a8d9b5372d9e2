package dev.logq.common.data;

import dev.logq.common.config.JobConfig;

/**
 * The synthetic data model (the embedded default data set), with a known true P(item | user).
 *
 * <ul>
 *   <li>Each user u and item i has a planted latent vector x_u, y_i of dimension {@code latentDim}: a
 *       standard Gaussian vector scaled to unit length (a uniformly random direction), stored as float.
 *       Each vector depends only on (seed, id), so any process can recompute any of them.
 *   <li>Item popularity pop_i ∝ (i + 1)^(-zipfExponent): item 0 is the most popular.
 *   <li>P(i | u) = pop_i exp(&lt;x_u, y_i&gt; / T) / Z_u with T = {@code plantedTemperature}, computed
 *       exactly in double by {@link #trueDistribution(int)}. Because the directions are uniform, each
 *       item's expected share over users is close to pop_i (the Zipf law holds for the marginal).
 *   <li>User u makes n_u = max(2, Poisson(interactionsPerUser)) interactions with distinct items: iid
 *       draws from P(. | u) with repeats skipped (sampling without replacement proportional to P, so a
 *       held-out item is never one the user already has in training), at strictly increasing
 *       timestamps (epoch seconds within 2020). The draws depend only on (seed, u).
 * </ul>
 *
 * <p>Sampling cost. Construction holds the item vectors (items x latentDim floats) and a Walker alias
 * table of popularity: O(items x latentDim) time and memory, once per Spark task. A draw for user u is
 * rejection sampling: propose i ~ pop, accept with probability exp((&lt;x_u, y_i&gt; - b_u) / T) where
 * b_u = |x_u| max_i |y_i| bounds the score, so an accepted i is an exact draw from P(. | u); each
 * proposal costs O(latentDim). The expected proposals per draw are e^{b_u / T} / E_pop[e^{s/T}]
 * (about 30 at the defaults, T = 0.25); when a user exhausts a budget of {@code items} proposals (small
 * temperatures; it switches earlier when the acceptance rate seen so far predicts that), the remaining draws use the exact cumulative distribution over all items (O(items x
 * latentDim) once for that user, then a binary search per draw). Either way each draw is exact and
 * a user never costs more than about twice O(items x latentDim).
 *
 * <p>Immutable, so safe to share between threads. Not Serializable: Spark tasks rebuild it from the
 * (serialisable) parameters, which is cheaper than shipping the item vectors.
 */
public final class SyntheticModel {
  /** 2020-01-01T00:00:00Z: the first possible timestamp. */
  public static final long START_EPOCH_SECONDS = 1_577_836_800L;
  /** Timestamps spread over one year. */
  public static final long SPAN_SECONDS = 366L * 24 * 3600;

  private static final long STREAM_USER_VECTOR = 1;
  private static final long STREAM_ITEM_VECTOR = 2;
  private static final long STREAM_USER_DRAWS = 3;

  private final int users;
  private final int items;
  private final int dim;
  private final double zipfExponent;
  private final double temperature;
  private final long seed;
  private final int interactionsPerUser;

  private final float[] itemVectors;  // items x dim, row-major
  private final double maxItemNorm;
  private final double[] popularity;  // normalised to sum 1
  private final double[] logPopularity;
  private final double[] aliasProbability;
  private final int[] alias;

  public SyntheticModel(int users, int items, int latentDim, double zipfExponent, double plantedTemperature, long seed,
      int interactionsPerUser) {
    if (users < 1 || items < 1 || latentDim < 1 || !(zipfExponent >= 0) || !(plantedTemperature > 0) || interactionsPerUser < 1) {
      throw new IllegalArgumentException("invalid synthetic model: users=" + users + " items=" + items + " latentDim="
          + latentDim + " zipfExponent=" + zipfExponent + " plantedTemperature=" + plantedTemperature
          + " interactionsPerUser=" + interactionsPerUser);
    }
    this.users = users;
    this.items = items;
    this.dim = latentDim;
    this.zipfExponent = zipfExponent;
    this.temperature = plantedTemperature;
    this.seed = seed;
    this.interactionsPerUser = interactionsPerUser;

    itemVectors = new float[Math.multiplyExact(items, latentDim)];
    double maxNorm = 0;
    float[] v = new float[latentDim];
    for (int i = 0; i < items; i++) {
      unitVector(STREAM_ITEM_VECTOR, i, v);
      System.arraycopy(v, 0, itemVectors, i * dim, dim);
      maxNorm = Math.max(maxNorm, norm(v));
    }
    maxItemNorm = maxNorm;

    popularity = new double[items];
    double sum = 0;
    for (int i = 0; i < items; i++) {
      popularity[i] = Math.pow(i + 1, -zipfExponent);
      sum += popularity[i];
    }
    logPopularity = new double[items];
    for (int i = 0; i < items; i++) {
      popularity[i] /= sum;
      logPopularity[i] = Math.log(popularity[i]);
    }
    aliasProbability = new double[items];
    alias = new int[items];
    buildAlias(popularity, aliasProbability, alias);
  }

  public static SyntheticModel of(SyntheticSettings c) {
    return new SyntheticModel(c.users(), c.items(), c.latentDim(), c.zipfExponent(), c.plantedTemperature(), c.seed(),
        c.interactionsPerUser());
  }

  public int users() {
    return users;
  }

  public int items() {
    return items;
  }

  public int latentDim() {
    return dim;
  }

  public double zipfExponent() {
    return zipfExponent;
  }

  public double plantedTemperature() {
    return temperature;
  }

  public long seed() {
    return seed;
  }

  /** Normalised popularity pop_i (the proposal of the sampler; sums to 1). */
  public double popularity(int item) {
    return popularity[item];
  }

  /** x_u (a fresh array). */
  public float[] userVector(int user) {
    checkUser(user);
    float[] x = new float[dim];
    unitVector(STREAM_USER_VECTOR, user, x);
    return x;
  }

  /** y_i (a fresh array). */
  public float[] itemVector(int item) {
    float[] y = new float[dim];
    System.arraycopy(itemVectors, item * dim, y, 0, dim);
    return y;
  }

  /** &lt;x_u, y_i&gt; in double. */
  private double score(float[] x, int item) {
    double s = 0;
    int base = item * dim;
    for (int k = 0; k < dim; k++) {
      s += (double) x[k] * itemVectors[base + k];
    }
    return s;
  }

  /** log P(i | u) for every item, exact in double (log-sum-exp with the max subtracted). */
  public double[] trueLogDistribution(int user) {
    float[] x = userVector(user);
    double[] logits = new double[items];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < items; i++) {
      logits[i] = logPopularity[i] + score(x, i) / temperature;
      max = Math.max(max, logits[i]);
    }
    double sum = 0;
    for (int i = 0; i < items; i++) {
      sum += Math.exp(logits[i] - max);
    }
    double logZ = max + Math.log(sum);
    for (int i = 0; i < items; i++) {
      logits[i] -= logZ;
    }
    return logits;
  }

  /** The true P(. | u) over all items (sums to 1 up to rounding); O(items x latentDim). */
  public double[] trueDistribution(int user) {
    double[] p = trueLogDistribution(user);
    for (int i = 0; i < items; i++) {
      p[i] = Math.exp(p[i]);
    }
    return p;
  }

  /** One user's generated interactions: item indices and their strictly increasing timestamps. */
  public static final class UserInteractions {
    public final int user;
    public final int[] items;
    public final long[] timestamps;

    UserInteractions(int user, int[] items, long[] timestamps) {
      this.user = user;
      this.items = items;
      this.timestamps = timestamps;
    }
  }

  /** User u's interactions; a pure function of (seed, u) and the model parameters. */
  public UserInteractions interactions(int user) {
    checkUser(user);
    SplitMix rng = new SplitMix(mix(seed, STREAM_USER_DRAWS, user));
    int wanted = Math.max(2, poisson(rng, interactionsPerUser));
    int[] drawn = distinctDraws(user, wanted, rng);
    int n = drawn.length;
    long[] timestamps = new long[n];
    for (int k = 0; k < n; k++) {
      timestamps[k] = START_EPOCH_SECONDS + (long) (rng.nextDouble() * SPAN_SECONDS);
    }
    java.util.Arrays.sort(timestamps);
    for (int k = 1; k < n; k++) {
      if (timestamps[k] <= timestamps[k - 1]) {
        timestamps[k] = timestamps[k - 1] + 1;
      }
    }
    return new UserInteractions(user, drawn, timestamps);
  }

  /**
   * Up to {@code wanted} distinct items in the order drawn: iid draws from P(. | user) with repeats
   * skipped, i.e. sampling without replacement proportional to P (a user consumes an item once, as in
   * MovieLens). A user whose P is so concentrated that repeats persist gets fewer items (at least one).
   */
  private int[] distinctDraws(int user, int wanted, SplitMix rng) {
    java.util.LinkedHashSet<Integer> seen = new java.util.LinkedHashSet<>();
    for (int round = 0; round < 20 && seen.size() < wanted; round++) {
      for (int item : drawItems(user, wanted - seen.size(), rng, items)) {
        if (seen.size() < wanted) {
          seen.add(item);
        }
      }
    }
    int[] out = new int[seen.size()];
    int k = 0;
    for (int item : seen) {
      out[k++] = item;
    }
    return out;
  }

  /** {@code count} independent draws from P(. | user) using a stream seeded by {@code drawSeed}. */
  public int[] drawItems(int user, int count, long drawSeed) {
    checkUser(user);
    return drawItems(user, count, new SplitMix(drawSeed), items);
  }

  /** As above with an explicit rejection budget (proposals before switching to the exact CDF); for tests. */
  int[] drawItems(int user, int count, long drawSeed, long rejectionBudget) {
    checkUser(user);
    return drawItems(user, count, new SplitMix(drawSeed), rejectionBudget);
  }

  private int[] drawItems(int user, int count, SplitMix rng, long rejectionBudget) {
    float[] x = userVector(user);
    double bound = norm(x) * maxItemNorm * (1 + 1e-9);
    int[] out = new int[count];
    int filled = 0;
    long proposals = 0;
    while (filled < count && proposals < rejectionBudget) {
      // Switch early when the observed acceptance rate says rejection would outlast the budget. The
      // rule looks only at counts, which are independent of the accepted values, so draws stay exact.
      if ((proposals & 255) == 255 && (double) (count - filled) * proposals / (filled + 1) > rejectionBudget - proposals) {
        break;
      }
      proposals++;
      int i = sampleAlias(rng);
      double acceptance = Math.exp((score(x, i) - bound) / temperature);
      if (rng.nextDouble() < acceptance) {
        out[filled++] = i;
      }
    }
    if (filled < count) {
      // Exact inverse-CDF over all items for the rest; the weights share the bound's scaling.
      double[] cumulative = new double[items];
      double total = 0;
      for (int i = 0; i < items; i++) {
        total += popularity[i] * Math.exp((score(x, i) - bound) / temperature);
        cumulative[i] = total;
      }
      while (filled < count) {
        double target = rng.nextDouble() * total;
        int lo = 0;
        int hi = items - 1;
        while (lo < hi) {
          int mid = (lo + hi) >>> 1;
          if (cumulative[mid] > target) {
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        out[filled++] = lo;
      }
    }
    return out;
  }

  /** Expected number of interactions over all users (E[max(2, Poisson(lambda))] per user). */
  public double expectedInteractions() {
    double lambda = interactionsPerUser;
    double p0 = Math.exp(-lambda);
    double p1 = lambda * p0;
    // E[max(2, N)] = E[N] + 2 P(N=0) + 1 P(N=1)
    return users * (lambda + 2 * p0 + p1);
  }

  private int sampleAlias(SplitMix rng) {
    double u = rng.nextDouble() * items;
    int i = (int) u;
    if (i >= items) {
      i = items - 1;
    }
    return (u - i) < aliasProbability[i] ? i : alias[i];
  }

  /** Vose's alias method. */
  private static void buildAlias(double[] p, double[] probability, int[] alias) {
    int n = p.length;
    double[] scaled = new double[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int ns = 0;
    int nl = 0;
    for (int i = 0; i < n; i++) {
      scaled[i] = p[i] * n;
      if (scaled[i] < 1) {
        small[ns++] = i;
      } else {
        large[nl++] = i;
      }
    }
    while (ns > 0 && nl > 0) {
      int s = small[--ns];
      int l = large[--nl];
      probability[s] = scaled[s];
      alias[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1;
      if (scaled[l] < 1) {
        small[ns++] = l;
      } else {
        large[nl++] = l;
      }
    }
    while (nl > 0) {
      int l = large[--nl];
      probability[l] = 1;
      alias[l] = l;
    }
    while (ns > 0) {  // only from rounding
      int s = small[--ns];
      probability[s] = 1;
      alias[s] = s;
    }
  }

  private static int poisson(SplitMix rng, double lambda) {
    if (lambda <= 700) {  // Knuth: exact; e^-lambda stays a normal double
      double limit = Math.exp(-lambda);
      double product = rng.nextDouble();
      int k = 0;
      while (product > limit) {
        product *= rng.nextDouble();
        k++;
      }
      return k;
    }
    return (int) Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(rng)));
  }

  private void unitVector(long stream, long id, float[] out) {
    SplitMix rng = new SplitMix(mix(seed, stream, id));
    double norm2 = 0;
    double[] g = new double[out.length];
    do {
      norm2 = 0;
      for (int k = 0; k < out.length; k++) {
        g[k] = gaussian(rng);
        norm2 += g[k] * g[k];
      }
    } while (norm2 == 0);
    double inv = 1 / Math.sqrt(norm2);
    for (int k = 0; k < out.length; k++) {
      out[k] = (float) (g[k] * inv);
    }
  }

  private static double norm(float[] v) {
    double s = 0;
    for (float f : v) {
      s += (double) f * f;
    }
    return Math.sqrt(s);
  }

  /** Box-Muller (one of the pair), so the stream is defined here, not by a JDK version. */
  private static double gaussian(SplitMix rng) {
    double u1 = 1.0 - rng.nextDouble();  // (0, 1]
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private void checkUser(int user) {
    if (user < 0 || user >= users) {
      throw new IndexOutOfBoundsException("user " + user + " outside 0.." + (users - 1));
    }
  }

  /** A seed for the stream (stream, index) of a model seeded with {@code seed}. */
  static long mix(long seed, long stream, long index) {
    return fmix64(fmix64(fmix64(seed) + stream) + index);
  }

  private static long fmix64(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  /** SplitMix64: a tiny, fully specified generator (the same numbers on every JVM). */
  static final class SplitMix {
    private long state;

    SplitMix(long seed) {
      state = seed;
    }

    long nextLong() {
      long z = (state += 0x9E3779B97F4A7C15L);
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    double nextDouble() {
      return (nextLong() >>> 11) * 0x1.0p-53;
    }
  }
}
