package dev.logq.common.model;

import dev.logq.common.model.sequence.SequenceLossRows;

/**
 * One local batch of (query, positive item) pairs: the loss rows. Arrays may be longer than needed (reused
 * buffers); only the first {@code size} rows count.
 *
 * <ul>
 *   <li>{@code users[b]}: dense user index (ID tower). May be null, or hold -1, with the HISTORY tower,
 *       which never reads it.</li>
 *   <li>{@code items[b]}: dense index of row b's positive item.</li>
 *   <li>{@code history[b * L + l]}: HISTORY tower only (null otherwise): the user's last L items before
 *       the positive, most recent last, -1 for padding (normally at the front). L is the tower's
 *       {@code window()}.</li>
 *   <li>SEQUENCE towers ({@link #ofSequences}): {@code windows} windows of {@code sequenceLength} items,
 *       {@code sequence[w * L + t]} (-1 padding, at the front) with per-slot next items {@code targets[w * L + t]}
 *       (-1: none). Every slot with an item and a target is one loss row, in slot order: {@code positions[b]}
 *       is row b's slot and {@code items[b]} its target, so {@code size} counts positions, not windows.</li>
 * </ul>
 * Extra negatives (uniform or BCE) are not part of the batch: the model draws them from the random
 * generator passed to {@link TwoTowerModel#lossAndGradient}.
 *
 * <p>With global-batch negatives (loss.negatives = global) a local batch also knows its round
 * ({@link #inRound}): the positive items of every worker's batch of the same step, in worker order, of which
 * this batch's own are {@code roundItems[roundOffset .. roundOffset + size)}. Its rows are then scored against
 * the distinct items of the whole round, as one worker would score the concatenated batch.
 */
public final class Batch {

  public final int size;
  public final int[] users;
  public final int[] items;
  public final int[] history;
  /** SEQUENCE only (0 otherwise): the number of windows. */
  public final int windows;
  /** SEQUENCE only (0 otherwise): L, the slots per window. */
  public final int sequenceLength;
  /** SEQUENCE only (null otherwise): windows x L item indices, -1 padding. */
  public final int[] sequence;
  /** SEQUENCE only (null otherwise): windows x L next items, -1 none. */
  public final int[] targets;
  /** SEQUENCE only (null otherwise): row b's slot in {@link #sequence}. */
  public final int[] positions;
  /** Global-batch negatives only (null otherwise): every worker's positive items of this step, in worker order. */
  public final int[] roundItems;
  /** Where this batch's rows start in {@link #roundItems} (0 without a round). */
  public final int roundOffset;

  public Batch(int size, int[] users, int[] items, int[] history) {
    this(size, users, items, history, 0, 0, null, null, null, null, 0);
  }

  private Batch(int size, int[] users, int[] items, int[] history, int windows, int sequenceLength, int[] sequence,
                int[] targets, int[] positions, int[] roundItems, int roundOffset) {
    if (size < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + size);
    }
    if (items == null || items.length < size) {
      throw new IllegalArgumentException("batch of " + size + " rows needs " + size + " positive items, got "
          + (items == null ? "none" : items.length));
    }
    if (users != null && users.length < size) {
      throw new IllegalArgumentException("batch of " + size + " rows has only " + users.length + " users");
    }
    if (users == null && history == null && sequence == null) {
      throw new IllegalArgumentException("batch needs users (ID tower), history (HISTORY tower) or sequence windows");
    }
    this.size = size;
    this.users = users;
    this.items = items;
    this.history = history;
    this.windows = windows;
    this.sequenceLength = sequenceLength;
    this.sequence = sequence;
    this.targets = targets;
    this.positions = positions;
    this.roundItems = roundItems;
    this.roundOffset = roundOffset;
    if (roundItems != null) {
      if (roundOffset < 0 || roundOffset + size > roundItems.length) {
        throw new IllegalArgumentException("batch of " + size + " rows at offset " + roundOffset
            + " does not fit its round of " + roundItems.length + " items");
      }
      for (int b = 0; b < size; b++) {
        if (roundItems[roundOffset + b] != items[b]) { // a protocol error between workers, never the data's
          throw new IllegalArgumentException("round item " + (roundOffset + b) + " is " + roundItems[roundOffset + b]
              + " but batch row " + b + "'s positive is " + items[b]);
        }
      }
    }
  }

  /**
   * This batch as a part of a global round: {@code roundItems} holds the positive items of every worker's batch
   * of the step in worker order, this batch's own at {@code [offset, offset + size)} (checked).
   */
  public Batch inRound(int[] roundItems, int offset) {
    if (roundItems == null) {
      throw new IllegalArgumentException("roundItems must not be null");
    }
    return new Batch(size, users, items, history, windows, sequenceLength, sequence, targets, positions, roundItems,
        offset);
  }

  /** The positive items of the loss rows, {@code items[0 .. size)} (a copy). */
  public int[] positiveItems() {
    return java.util.Arrays.copyOf(items, size);
  }

  /** A batch for the ID user tower. */
  public static Batch ofUsers(int size, int[] users, int[] items) {
    return new Batch(size, users, items, null);
  }

  /** A batch for the HISTORY user tower ({@code history} is size x L). */
  public static Batch ofHistory(int size, int[] history, int[] items) {
    return new Batch(size, null, items, history);
  }

  /**
   * A batch for a SEQUENCE tower: {@code windows} windows of {@code length} slots ({@code sequence}, -1 padding)
   * and their next items ({@code targets}, -1 none). The loss rows are the slots with an item and a target
   * ({@link SequenceLossRows}); fails when there is none.
   */
  public static Batch ofSequences(int windows, int length, int[] sequence, int[] targets) {
    if (windows < 1 || length < 1) {
      throw new IllegalArgumentException("a sequence batch needs windows >= 1 and length >= 1, got " + windows
          + " and " + length);
    }
    SequenceLossRows rows = SequenceLossRows.of(sequence, targets, windows * length);
    if (rows.rows == 0) {
      throw new IllegalArgumentException("sequence batch of " + windows + " windows has no slot with an item and a"
          + " next item");
    }
    return new Batch(rows.rows, null, rows.positive, null, windows, length, sequence, targets, rows.position, null,
        0);
  }
}
