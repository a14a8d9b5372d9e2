package dev.logq.job.report;

/**
 * One point of a training curve.
 *
 * @param epoch the epoch the point belongs to (as the trainer counts them)
 * @param step synchronised steps so far
 * @param loss mean training loss since the previous point
 * @param examplesPerSecond training throughput since the previous point, all workers together
 */
public record CurvePoint(int epoch, long step, double loss, double examplesPerSecond) {}
