package dev.logq.job.output;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Pretty JSON with Spark's Jackson. Non-finite numbers (a mean over nothing is NaN) are written as
 * {@code null}, so every file is strict JSON that any reader accepts.
 */
public final class JsonOutput {

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .registerModule(new SimpleModule("finite-numbers")
          .addSerializer(Double.class, new FiniteDouble())
          .addSerializer(Double.TYPE, new FiniteDouble())
          .addSerializer(Float.class, new FiniteFloat())
          .addSerializer(Float.TYPE, new FiniteFloat()));

  private JsonOutput() {}

  public static byte[] toBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  public static void write(OutputStream out, Object value) throws IOException {
    out.write(toBytes(value));
    out.write('\n');
  }

  /** Writes {@code value} as {@code relative} into the staged output. */
  public static void write(AtomicOutput output, String relative, Object value) throws IOException {
    try (OutputStream s = output.create(relative)) {
      write(s, value);
    }
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> readMap(InputStream in) throws IOException {
    return MAPPER.readValue(in, Map.class);
  }

  private static final class FiniteDouble extends JsonSerializer<Double> {
    @Override
    public void serialize(Double v, JsonGenerator g, SerializerProvider p) throws IOException {
      if (v == null || !Double.isFinite(v)) {
        g.writeNull();
      } else {
        g.writeNumber(v);
      }
    }
  }

  private static final class FiniteFloat extends JsonSerializer<Float> {
    @Override
    public void serialize(Float v, JsonGenerator g, SerializerProvider p) throws IOException {
      if (v == null || !Float.isFinite(v)) {
        g.writeNull();
      } else {
        g.writeNumber(v);
      }
    }
  }
}
