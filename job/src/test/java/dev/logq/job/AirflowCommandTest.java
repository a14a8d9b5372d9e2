package dev.logq.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs airflow/test_logq_command.py: the exact spark-submit argv of the example DAG, the same as what
 * {@code LOGQ_PRINT_ONLY=1 spark-submit/submit.sh} prints, and the DAG's templates. Skipped where
 * python3 or bash is missing (Airflow itself is not needed).
 */
class AirflowCommandTest {

  private static boolean available(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void dagCommandMatchesTheSubmitScript() throws IOException, InterruptedException {
    assumeTrue(available("python3", "--version"), "python3 is not installed");
    assumeTrue(available("bash", "--version"), "bash is not installed");
    Path root = Path.of(System.getProperty("logq.projectRoot", "..")).toAbsolutePath().normalize();
    Path script = root.resolve("airflow/test_logq_command.py");
    assertTrue(Files.isRegularFile(script), script.toString());

    Process p = new ProcessBuilder("python3", script.toString()).directory(root.toFile()).redirectErrorStream(true)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python3 did not finish");
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("Ran 6 tests") && output.contains("OK"), output);
  }
}
