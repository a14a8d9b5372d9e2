package dev.logq.job.train.collective;

import dev.logq.common.model.TensorPatch;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Byte encodings of what the collectives send. */
final class Codec {

  private Codec() {}

  static byte[] floats(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  static float[] floats(byte[] bytes) {
    float[] values = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).asFloatBuffer().get(values);
    return values;
  }

  /**
   * long header, then the patch in its own binary form ({@link TensorPatch#writeTo}), written straight into
   * an array of the exact size (no stream, no growing buffer, no final copy).
   */
  static byte[] patch(long header, TensorPatch patch) {
    long size = 8 + patch.sizeInBytes();
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("patch of " + size + " bytes is too large for one message");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size);
    b.putLong(header);
    patch.writeTo(b);
    if (b.hasRemaining()) {
      throw new IllegalStateException("patch wrote " + b.position() + " of its " + size + " bytes");
    }
    return b.array();
  }

  static long header(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }

  static TensorPatch patch(byte[] bytes) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(bytes, 8, bytes.length - 8);
    TensorPatch patch = TensorPatch.readFrom(in);
    if (in.hasRemaining()) {
      throw new IOException(in.remaining() + " bytes after the patch");
    }
    return patch;
  }
}
