package dev.logq.job.train;

import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;

/**
 * The closure of one round: which batches to take, and how to bring the replica up to date.
 *
 * @param globalRound number of rounds completed before this one (the replica version it needs)
 * @param failureInjection test hook: "round:partition" makes the first attempt of that task fail
 * @param global with global negatives, every worker's batch items of this round (null otherwise)
 */
record RoundTask(TrainingPlan plan, int epoch, int roundInEpoch, long globalRound, ReplicaSource source,
                 Broadcast<double[]> itemLogQ, String failureInjection, GlobalRound global) implements Serializable {}
