package dev.logq.job.train.collective;

import dev.logq.common.model.TensorPatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

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

  /**
   * A pull round's message to an owner ({@link ShardedExchange#pullRound}): {@link #patch(long, TensorPatch)}'s
   * form with a second header value (the sender's loss sum, a double) after the first, then the row ids the sender
   * asks of this owner: int tables, then per table its name (int length, UTF-8) and its ids (int count, ints).
   */
  static byte[] patchAndRequest(long header, double value, TensorPatch patch, Map<String, int[]> request) {
    long size = 16 + patch.sizeInBytes() + requestBytes(request);
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("message of " + size + " bytes is too large for one message");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size);
    b.putLong(header);
    b.putDouble(value);
    patch.writeTo(b);
    writeRequest(b, request);
    if (b.hasRemaining()) {
      throw new IllegalStateException("message wrote " + b.position() + " of its " + size + " bytes");
    }
    return b.array();
  }

  /** A request alone (a segment's first pull). */
  static byte[] request(Map<String, int[]> request) {
    ByteBuffer b = ByteBuffer.allocate((int) requestBytes(request));
    writeRequest(b, request);
    return b.array();
  }

  /** What {@link #patchAndRequest} encoded. */
  record PatchAndRequest(long header, double value, TensorPatch patch, Map<String, int[]> request) {}

  static PatchAndRequest patchAndRequest(byte[] bytes) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    long header = in.getLong();
    double value = in.getDouble();
    TensorPatch patch = TensorPatch.readFrom(in);
    Map<String, int[]> request = readRequest(in);
    return new PatchAndRequest(header, value, patch, request);
  }

  static Map<String, int[]> request(byte[] bytes) throws IOException {
    return readRequest(ByteBuffer.wrap(bytes));
  }

  private static long requestBytes(Map<String, int[]> request) {
    long size = 4;
    for (var e : request.entrySet()) {
      size += 4 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + 4L * e.getValue().length;
    }
    return size;
  }

  private static void writeRequest(ByteBuffer b, Map<String, int[]> request) {
    b.putInt(request.size());
    for (var e : request.entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      b.putInt(name.length);
      b.put(name);
      b.putInt(e.getValue().length);
      b.asIntBuffer().put(e.getValue());
      b.position(b.position() + 4 * e.getValue().length);
    }
  }

  private static Map<String, int[]> readRequest(ByteBuffer in) throws IOException {
    try {
      int tables = in.getInt();
      if (tables < 0) {
        throw new IOException("request of " + tables + " tables");
      }
      Map<String, int[]> request = new TreeMap<>();
      for (int t = 0; t < tables; t++) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
          throw new IOException("request table name of " + length + " bytes");
        }
        byte[] name = new byte[length];
        in.get(name);
        int n = in.getInt();
        if (n < 0 || 4L * n > in.remaining()) {
          throw new IOException("request of " + n + " rows with " + in.remaining() + " bytes left");
        }
        int[] ids = new int[n];
        in.asIntBuffer().get(ids);
        in.position(in.position() + 4 * n);
        request.put(new String(name, StandardCharsets.UTF_8), ids);
      }
      if (in.hasRemaining()) {
        throw new IOException(in.remaining() + " bytes after the request");
      }
      return request;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IOException("request cut short", e);
    }
  }
}
