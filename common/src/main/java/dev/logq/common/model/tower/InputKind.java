package dev.logq.common.model.tower;

/**
 * What a user tower reads, and therefore what the Spark side builds for it (training shards, the
 * evaluation and export inputs): one shared piece of code per kind, never a switch on tower names.
 */
public enum InputKind {
  /**
   * The dense user index: {@code Batch.users[b]}. One loss row per example. Cannot embed a user absent
   * from the training data.
   */
  USER_IDS,
  /**
   * The user's last L training items before the example's positive, most recent last, left-padded with
   * -1: {@code Batch.history[b * L + l]} with L = {@link UserTower#window()}. One loss row per example.
   * For evaluation and export: the user's last L training items.
   */
  HISTORY,
  /**
   * A window of L consecutive items of the user's sequence; every position is a query with its own
   * positive (the next item), so one example yields up to L loss rows (a SASRec-style causal tower).
   * For evaluation and export the tower embeds the last position of the user's last L training items,
   * i.e. the same input as {@link #HISTORY}.
   */
  SEQUENCE;

  /** Whether the tower reads the user's item window (HISTORY and SEQUENCE), so it can embed unseen users. */
  public boolean readsItems() {
    return this != USER_IDS;
  }
}
