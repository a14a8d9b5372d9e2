package dev.logq.job.train;

import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;
import java.util.SplittableRandom;

/**
 * One worker's training examples, columnar: the positives of its partition and, for the history
 * tower, each example's last L items before it. For a sequence tower ({@link #ofSequences}) an example is a
 * window of the user's sequence: its L inputs (in the history array) and each slot's next item
 * ({@link #copyTargets}); {@code item(i)} is then the window's last target. One shard is the single element of
 * one Spark partition of the cached shard RDD, so a worker touches plain arrays, never Rows, in its inner loop.
 */
public final class TrainingShard implements Externalizable {

  private static final long serialVersionUID = 1L;

  private int partition;
  private int size;
  private int historyLength;
  private int[] users;
  private int[] items;
  /** size x historyLength item indices, most recent last, -1 padding; empty when historyLength = 0. */
  private int[] history;
  /** Sequence shards only: size x historyLength next items, -1 none; empty otherwise. */
  private int[] targets = new int[0];
  private boolean sequence;

  /** For Externalizable only. */
  public TrainingShard() {}

  public TrainingShard(int partition, int[] users, int[] items, int historyLength, int[] history) {
    if (users.length != items.length) {
      throw new IllegalArgumentException("users and items differ in length: " + users.length + " vs " + items.length);
    }
    if (history.length != (long) users.length * historyLength) {
      throw new IllegalArgumentException("history has " + history.length + " entries, expected "
          + (long) users.length * historyLength);
    }
    this.partition = partition;
    this.size = users.length;
    this.users = users;
    this.items = items;
    this.historyLength = historyLength;
    this.history = history;
  }

  /** A shard of sequence windows: {@code inputs} and {@code targets} are windows x length. */
  public static TrainingShard ofSequences(int partition, int[] users, int[] lastTargets, int length, int[] inputs,
                                          int[] targets) {
    TrainingShard shard = new TrainingShard(partition, users, lastTargets, length, inputs);
    if (targets.length != inputs.length || length < 1) {
      throw new IllegalArgumentException("targets have " + targets.length + " entries, inputs " + inputs.length);
    }
    shard.targets = targets;
    shard.sequence = true;
    return shard;
  }

  /** Whether the examples are sequence windows (with per-slot targets). */
  public boolean isSequence() {
    return sequence;
  }

  /** Sequence shards: copies window i's per-slot next items into dst at offset. */
  public void copyTargets(int i, int[] dst, int offset) {
    System.arraycopy(targets, i * historyLength, dst, offset, historyLength);
  }

  public int partition() {
    return partition;
  }

  public int size() {
    return size;
  }

  public int historyLength() {
    return historyLength;
  }

  public int user(int i) {
    return users[i];
  }

  public int item(int i) {
    return items[i];
  }

  /** Copies example i's history into dst at offset. */
  public void copyHistory(int i, int[] dst, int offset) {
    System.arraycopy(history, i * historyLength, dst, offset, historyLength);
  }

  /**
   * The order in which this worker visits its examples in an epoch: a Fisher-Yates permutation that
   * depends only on (seed, epoch, partition), so reruns, retries and resumes see the same batches.
   */
  public int[] epochOrder(long seed, int epoch) {
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, 0x5EED_0F0DL, epoch, partition));
    for (int i = size - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  @Override
  public void writeExternal(ObjectOutput out) throws IOException {
    out.writeInt(partition);
    out.writeInt(size);
    out.writeInt(historyLength);
    writeInts(out, users, size);
    writeInts(out, items, size);
    writeInts(out, history, history.length);
    out.writeBoolean(sequence);
    if (sequence) {
      writeInts(out, targets, targets.length);
    }
  }

  @Override
  public void readExternal(ObjectInput in) throws IOException {
    partition = in.readInt();
    size = in.readInt();
    historyLength = in.readInt();
    users = readInts(in, size);
    items = readInts(in, size);
    history = readInts(in, size * historyLength);
    sequence = in.readBoolean();
    targets = sequence ? readInts(in, size * historyLength) : new int[0];
  }

  private static void writeInts(ObjectOutput out, int[] values, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      out.writeInt(values[i]);
    }
  }

  private static int[] readInts(ObjectInput in, int n) throws IOException {
    int[] values = new int[n];
    for (int i = 0; i < n; i++) {
      values[i] = in.readInt();
    }
    return values;
  }
}
