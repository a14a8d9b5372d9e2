package dev.logq.common.model;

/**
 * One local batch of (query, positive item) pairs. Arrays may be longer than needed (reused buffers);
 * only the first {@code size} rows count. A row is a loss row: one example for the id and history towers;
 * a tower that trains every position of a sequence window (input kind SEQUENCE) has a row per position,
 * and {@code items} then names each position's positive (see
 * {@link dev.logq.common.model.tower.UserTower}).
 *
 * <ul>
 *   <li>{@code users[b]}: dense user index (ID tower). May be null, or hold -1, with the HISTORY tower,
 *       which never reads it.</li>
 *   <li>{@code items[b]}: dense index of row b's positive item.</li>
 *   <li>{@code history[b * L + l]}: HISTORY tower only (null otherwise): the user's last L items before
 *       the positive, most recent last, -1 for padding (normally at the front). L is
 *       {@link ModelSpec#historyLength()}.</li>
 * </ul>
 * Extra negatives (uniform or BCE) are not part of the batch: the model draws them from the random
 * generator passed to {@link TwoTowerModel#lossAndGradient}.
 */
public final class Batch {

  public final int size;
  public final int[] users;
  public final int[] items;
  public final int[] history;

  public Batch(int size, int[] users, int[] items, int[] history) {
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
    if (users == null && history == null) {
      throw new IllegalArgumentException("batch needs users (ID tower) or history (HISTORY tower)");
    }
    this.size = size;
    this.users = users;
    this.items = items;
    this.history = history;
  }

  /** A batch for the ID user tower. */
  public static Batch ofUsers(int size, int[] users, int[] items) {
    return new Batch(size, users, items, null);
  }

  /** A batch for the HISTORY user tower ({@code history} is size x L). */
  public static Batch ofHistory(int size, int[] history, int[] items) {
    return new Batch(size, null, items, history);
  }
}
