package dev.logq.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logq.common.error.ConfigException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {

  @TempDir
  Path dir;

  @Test
  void help() {
    assertTrue(CommandLine.parse(new String[] {"--help"}).help());
    assertTrue(CommandLine.parse(new String[] {"-h"}).help());
    assertTrue(CommandLine.usage().contains("--conf FILE"));
  }

  @Test
  void verbose() {
    assertTrue(CommandLine.parse(new String[] {"--verbose", "train.epochs=2"}).verbose());
    assertFalse(CommandLine.parse(new String[] {"train.epochs=2"}).verbose());
    assertFalse(CommandLine.parse(new String[] {"--verbose"}).effectiveOverrides().contains("--verbose"));
    assertThrows(ConfigException.class, () -> CommandLine.parse(new String[] {"--verbose=yes"}));
    assertTrue(CommandLine.usage().contains("--verbose"));
  }

  @Test
  void errorsNameTheArgument() {
    ConfigException unknown = assertThrows(ConfigException.class, () -> CommandLine.parse(new String[] {"--epochs", "3"}));
    assertEquals("--epochs", unknown.key());
    assertTrue(unknown.getMessage().contains("Unknown option '--epochs'"), unknown.getMessage());

    ConfigException noValue = assertThrows(ConfigException.class, () -> CommandLine.parse(new String[] {"--conf"}));
    assertTrue(noValue.getMessage().contains("--conf needs a value"), noValue.getMessage());

    ConfigException badMode = assertThrows(ConfigException.class, () -> CommandLine.parse(new String[] {"--mode", "fit"}));
    assertTrue(badMode.getMessage().contains("'fit'") && badMode.getMessage().contains("train, compare, generate"),
        badMode.getMessage());

    ConfigException bare = assertThrows(ConfigException.class, () -> CommandLine.parse(new String[] {"train.epochs"}));
    assertTrue(bare.getMessage().contains("'train.epochs'") && bare.getMessage().contains("key=value"), bare.getMessage());

    ConfigException twice = assertThrows(ConfigException.class,
        () -> CommandLine.parse(new String[] {"--conf", "a.conf", "--conf=b.conf"}));
    assertTrue(twice.getMessage().contains("twice"), twice.getMessage());

    ConfigException valued = assertThrows(ConfigException.class, () -> CommandLine.parse(new String[] {"--overwrite=yes"}));
    assertTrue(valued.getMessage().contains("takes no value"), valued.getMessage());

    CommandLine missingFile = CommandLine.parse(new String[] {"--conf", dir.resolve("absent.conf").toString()});
    ConfigException absent = assertThrows(ConfigException.class, missingFile::config);
    assertEquals("--conf", absent.key());
    assertTrue(absent.getMessage().contains("absent.conf"), absent.getMessage());
  }
}
