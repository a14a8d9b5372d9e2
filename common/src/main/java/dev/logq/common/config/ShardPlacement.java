package dev.logq.common.config;

import java.util.Locale;

/**
 * train.placement: which worker's shard a training example goes to. Any choice gives the same model on any
 * executor layout; the choice itself changes the batches, so it is part of the configuration.
 */
public enum ShardPlacement implements Named {
  /** {@link #USER} when the user tower has one embedding row per user (the id tower), else {@link #EXAMPLE}. */
  AUTO,
  /** A seeded hash of the example (user, item, time): a user's examples spread over every worker. */
  EXAMPLE,
  /**
   * All of a user's examples on one worker: the one that owns the user's row in the collective backend's row
   * sharding, so per-user rows are read, summed and stepped where they live and never cross the network.
   */
  USER;

  @Override
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
