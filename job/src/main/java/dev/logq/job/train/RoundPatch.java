package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;

/**
 * The outcome of one synchronised round as the replicas see it: the NEW values of every parameter row
 * (and dense tensor) the round changed, and with local steps (syncEvery > 1) the new optimizer-state
 * rows too. Applying a patch overwrites values, so applying it twice is harmless. Broadcast as bytes.
 */
final class RoundPatch {

  final long version;
  final TensorPatch params;
  final TensorPatch optimizerState;
  /** How long the driver's optimizer step took (not shipped: a measurement of the round that made it). */
  long stepNanos;

  RoundPatch(long version, TensorPatch params, TensorPatch optimizerState) {
    this.version = version;
    this.params = params;
    this.optimizerState = optimizerState;
  }

  byte[] toBytes() {
    TensorPatch versionTag = new TensorPatch().putDense("version", new float[] {
        Float.intBitsToFloat((int) (version >>> 32)), Float.intBitsToFloat((int) version)});
    return Payloads.encode(versionTag, params, optimizerState);
  }

  static RoundPatch fromBytes(byte[] bytes) {
    TensorPatch[] parts = Payloads.decode(bytes);
    float[] tag = parts[0].dense("version");
    long version = ((long) Float.floatToRawIntBits(tag[0]) << 32) | (Float.floatToRawIntBits(tag[1]) & 0xFFFFFFFFL);
    return new RoundPatch(version, parts[1], parts[2]);
  }

  long sizeInBytes() {
    return params.sizeInBytes() + (optimizerState == null ? 0 : optimizerState.sizeInBytes());
  }
}
