package dev.logq.common.model;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Bulk float/int array I/O on DataOutput/DataInput, big-endian like DataOutput.writeFloat but through a
 * byte buffer instead of one virtual call per value (roughly 10x faster on large tensors).
 */
final class BinaryIo {

  private static final int BUFFER_BYTES = 1 << 15;

  private BinaryIo() {}

  static void writeFloats(DataOutput out, float[] values, int off, int len) throws IOException {
    byte[] bytes = new byte[Math.min(BUFFER_BYTES, Math.max(4, len * 4))];
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    int perBuffer = bytes.length / 4;
    for (int done = 0; done < len; ) {
      int count = Math.min(perBuffer, len - done);
      buffer.clear();
      buffer.asFloatBuffer().put(values, off + done, count);
      out.write(bytes, 0, count * 4);
      done += count;
    }
  }

  static void readFloats(DataInput in, float[] values, int off, int len) throws IOException {
    byte[] bytes = new byte[Math.min(BUFFER_BYTES, Math.max(4, len * 4))];
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    int perBuffer = bytes.length / 4;
    for (int done = 0; done < len; ) {
      int count = Math.min(perBuffer, len - done);
      in.readFully(bytes, 0, count * 4);
      buffer.clear();
      buffer.asFloatBuffer().get(values, off + done, count);
      done += count;
    }
  }

  static void writeInts(DataOutput out, int[] values, int off, int len) throws IOException {
    byte[] bytes = new byte[Math.min(BUFFER_BYTES, Math.max(4, len * 4))];
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    int perBuffer = bytes.length / 4;
    for (int done = 0; done < len; ) {
      int count = Math.min(perBuffer, len - done);
      buffer.clear();
      buffer.asIntBuffer().put(values, off + done, count);
      out.write(bytes, 0, count * 4);
      done += count;
    }
  }

  static void readInts(DataInput in, int[] values, int off, int len) throws IOException {
    byte[] bytes = new byte[Math.min(BUFFER_BYTES, Math.max(4, len * 4))];
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    int perBuffer = bytes.length / 4;
    for (int done = 0; done < len; ) {
      int count = Math.min(perBuffer, len - done);
      in.readFully(bytes, 0, count * 4);
      buffer.clear();
      buffer.asIntBuffer().get(values, off + done, count);
      done += count;
    }
  }

  /** What DataOutput.writeUTF writes (2-byte length, then modified UTF-8), into a buffer. */
  static void putUtf(ByteBuffer b, String s) {
    int length = utfLength(s) - 2;
    if (length > 65535) {
      throw new IllegalArgumentException("name too long for writeUTF: " + s.length() + " characters");
    }
    b.putShort((short) length);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x0001 && c <= 0x007F) {
        b.put((byte) c);
      } else if (c <= 0x07FF) {
        b.put((byte) (0xC0 | ((c >> 6) & 0x1F))).put((byte) (0x80 | (c & 0x3F)));
      } else {
        b.put((byte) (0xE0 | ((c >> 12) & 0x0F))).put((byte) (0x80 | ((c >> 6) & 0x3F)))
            .put((byte) (0x80 | (c & 0x3F)));
      }
    }
  }

  /** What DataInput.readUTF reads, from a buffer. */
  static String getUtf(ByteBuffer b) throws IOException {
    int length = Short.toUnsignedInt(b.getShort());
    byte[] bytes = new byte[2 + length];
    bytes[0] = (byte) (length >> 8);
    bytes[1] = (byte) length;
    b.get(bytes, 2, length);
    return new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes)).readUTF();
  }

  /** Bytes DataOutput.writeUTF writes for {@code s} (modified UTF-8 plus the 2-byte length). */
  static int utfLength(String s) {
    int bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x0001 && c <= 0x007F) {
        bytes += 1;
      } else if (c <= 0x07FF) {
        bytes += 2;
      } else {
        bytes += 3;
      }
    }
    return 2 + bytes;
  }

  static int checkedCount(int value, String what) throws IOException {
    if (value < 0) {
      throw new IOException("corrupt stream: negative " + what + " (" + value + ")");
    }
    return value;
  }
}
