package dev.logq.job.train.collective;

import dev.logq.common.model.TensorPatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  /** long header, then the patch in its own binary form ({@link TensorPatch#writeTo}). */
  static byte[] patch(long header, TensorPatch patch) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 16,
          8 + patch.sizeInBytes()));
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeLong(header);
      patch.writeTo(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static long header(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }

  static TensorPatch patch(byte[] bytes) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 8, bytes.length - 8));
    return TensorPatch.readFrom(in);
  }
}
