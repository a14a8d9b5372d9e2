package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import java.io.Serializable;

/**
 * The outcome of one synchronised round as the replicas see it: the NEW values of every parameter row
 * (and dense tensor) the round changed, and with local steps (syncEvery > 1) the new optimizer-state
 * rows too. Applying a patch overwrites values, so applying it twice is harmless.
 */
public record RoundPatch(long version, TensorPatch params, TensorPatch optimizerState) implements Serializable {}
