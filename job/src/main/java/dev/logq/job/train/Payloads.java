package dev.logq.job.train;

import dev.logq.common.model.TensorPatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Patches cross the network as byte arrays in our own binary format. Whatever spark.serializer a
 * cluster uses (Java or Kryo, which cannot handle records or Externalizable classes without
 * registration), a byte[] task result or broadcast is shipped as is.
 */
final class Payloads {

  private Payloads() {}

  static byte[] encode(TensorPatch... patches) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(patches.length);
      for (TensorPatch p : patches) {
        out.writeBoolean(p != null);
        if (p != null) {
          p.writeTo(out);
        }
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TensorPatch[] decode(byte[] payload) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
      TensorPatch[] patches = new TensorPatch[in.readInt()];
      for (int i = 0; i < patches.length; i++) {
        patches[i] = in.readBoolean() ? TensorPatch.readFrom(in) : null;
      }
      return patches;
    } catch (IOException e) {
      throw new UncheckedIOException("Corrupt patch payload: " + e.getMessage(), e);
    }
  }
}
