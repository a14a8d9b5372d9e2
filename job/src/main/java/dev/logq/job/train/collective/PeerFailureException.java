package dev.logq.job.train.collective;

/**
 * A peer of a {@link PeerGroup} died, left, timed out or broke the protocol. The message names the peer
 * (rank and address) and what this worker was waiting for. Once thrown, the group is failed: every later
 * call fails with the same cause, and the connections are closed so that the other peers fail fast too
 * (which fails the barrier stage instead of hanging it).
 */
public final class PeerFailureException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Rank of the peer that failed, or -1 when the failure is not tied to one peer. */
  private final int peer;

  public PeerFailureException(int peer, String message, Throwable cause) {
    super(message, cause);
    this.peer = peer;
  }

  public int peer() {
    return peer;
  }
}
