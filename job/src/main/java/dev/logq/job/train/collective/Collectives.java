package dev.logq.job.train.collective;

import java.nio.ByteBuffer;

/**
 * Deterministic collectives over a {@link PeerGroup}: every rank calls the same methods in the same order
 * (each call takes the next sequence number as its message tag, so a rank that falls out of step is caught as
 * a protocol error). Results never depend on arrival order: a rank receives into slots indexed by sender rank
 * and combines them in rank order after all have arrived.
 *
 * <p>All-to-all and all-gather are direct (every rank sends to every other rank, N - 1 messages each): per
 * rank O(N) messages and the bytes it must receive anyway. No central node carries more than its own share.
 */
public final class Collectives {

  private final PeerGroup group;
  private int sequence;

  public Collectives(PeerGroup group) {
    this.group = group;
  }

  public PeerGroup group() {
    return group;
  }

  public int rank() {
    return group.rank();
  }

  public int size() {
    return group.size();
  }

  /** The next collective's tag (the same on every rank). */
  int nextTag() {
    return ++sequence;
  }

  /**
   * Sends {@code outgoing[r]} to every rank r and returns what every rank sent to this one, by sender rank
   * ({@code result[rank()] == outgoing[rank()]}, not copied).
   */
  public byte[][] allToAll(byte[][] outgoing) {
    return finishAllToAll(startAllToAll(outgoing), outgoing[rank()]);
  }

  /**
   * The sending half of {@link #allToAll}: returns at once (the transport sends in the background) with the tag
   * to pass to {@link #finishAllToAll}, so a rank can work while its messages travel.
   */
  public int startAllToAll(byte[][] outgoing) {
    int n = size();
    int me = rank();
    if (outgoing.length != n) {
      throw new IllegalArgumentException(outgoing.length + " payloads for " + n + " ranks");
    }
    int tag = nextTag();
    // Send to the ranks after this one first, so that not everyone sends to rank 0 at once.
    for (int i = 1; i < n; i++) {
      int peer = (me + i) % n;
      group.send(peer, tag, outgoing[peer]);
    }
    // The transport's I/O thread writes them. Where every core runs a worker, Linux's EEVDF scheduler lets the woken
    // I/O thread wait for the end of this thread's time slice (about 1.5 ms on 2 cores) before it preempts: giving
    // up the core now sends them while this rank works (issue 12, session 22: six pairs, the rounds' non-compute
    // 16.1 -> 13.8 %, +6 % examples/s). A no-op where a core is free.
    Thread.yield();
    return tag;
  }

  /** The receiving half of {@link #allToAll}: every rank's message by rank, {@code own} at this rank's. */
  public byte[][] finishAllToAll(int tag, byte[] own) {
    int n = size();
    int me = rank();
    byte[][] incoming = new byte[n][];
    incoming[me] = own;
    for (int i = 1; i < n; i++) {
      int peer = (me - i + n) % n;
      incoming[peer] = group.receive(peer, tag);
    }
    return incoming;
  }

  /** Every rank's {@code mine}, by rank. */
  public byte[][] allGather(byte[] mine) {
    byte[][] out = new byte[size()][];
    java.util.Arrays.fill(out, mine);
    return allToAll(out);
  }

  /** An int array as bytes (big-endian), for {@link #allGather} of ids. */
  public static byte[] ints(int[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length);
    b.asIntBuffer().put(values);
    return b.array();
  }

  /** The inverse of {@link #ints(int[])}. */
  public static int[] ints(byte[] bytes) {
    if (bytes.length % 4 != 0) {
      throw new IllegalArgumentException("an int array needs a multiple of 4 bytes, got " + bytes.length);
    }
    int[] values = new int[bytes.length / 4];
    ByteBuffer.wrap(bytes).asIntBuffer().get(values);
    return values;
  }

  /** Returns once every rank has called it (or throws when one cannot). */
  public void barrier() {
    allGather(new byte[0]);
  }

  /** The sum over ranks (exact). */
  public long allReduceSum(long value) {
    long sum = 0;
    for (byte[] b : allGather(ByteBuffer.allocate(8).putLong(value).array())) {
      sum += ByteBuffer.wrap(b).getLong();
    }
    return sum;
  }

  /**
   * The sum over ranks, computed on every rank as {@code DoubleStream.of(v0, v1, ...).sum()} in rank order:
   * the same bits everywhere, and the same as the driver's sum of the workers' loss sums in partition order.
   */
  public double allReduceSum(double value) {
    byte[][] all = allGather(ByteBuffer.allocate(8).putDouble(value).array());
    double[] values = new double[all.length];
    for (int r = 0; r < all.length; r++) {
      values[r] = ByteBuffer.wrap(all[r]).getDouble();
    }
    return sumInRankOrder(values);
  }

  /**
   * The sum of every rank's value, indexed by rank, as {@link #allReduceSum(double)} forms it: one definition, so
   * that a sum carried inside another exchange (a pull round's gradient messages) has the same bits.
   */
  public static double sumInRankOrder(double[] values) {
    return java.util.stream.DoubleStream.of(values).sum();
  }

  /**
   * Deterministic dense all-reduce: every rank sends {@code values} to {@code root}, which sums them in rank
   * order (rank 0's values, then + rank 1's, ..., the arithmetic of {@code TensorPatch.addScaled} with factor
   * 1) and broadcasts the sum. Returns the sum on every rank (a fresh array); {@code values} is not changed.
   */
  public float[] allReduceSum(float[] values, int root) {
    int n = size();
    int tag = nextTag();
    int reply = nextTag();
    if (rank() != root) {
      group.send(root, tag, Codec.floats(values));
      float[] sum = Codec.floats(group.receive(root, reply));
      if (sum.length != values.length) {
        throw group.fail(root, "dense all-reduce: rank " + root + " returned " + sum.length + " values for "
            + values.length, null);
      }
      return sum;
    }
    float[][] parts = new float[n][];
    parts[root] = values;
    for (int r = 0; r < n; r++) {
      if (r != root) {
        parts[r] = Codec.floats(group.receive(r, tag));
        if (parts[r].length != values.length) {
          throw group.fail(r, "dense all-reduce: rank " + r + " sent " + parts[r].length + " values, rank "
              + root + " has " + values.length, null);
        }
      }
    }
    float[] sum = parts[0].clone();
    for (int r = 1; r < n; r++) {
      float[] p = parts[r];
      for (int i = 0; i < sum.length; i++) {
        sum[i] += p[i];
      }
    }
    byte[] encoded = Codec.floats(sum);
    for (int r = 0; r < n; r++) {
      if (r != root) {
        group.send(r, reply, encoded);
      }
    }
    return sum;
  }
}
