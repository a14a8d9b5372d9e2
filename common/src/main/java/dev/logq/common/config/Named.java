package dev.logq.common.config;

/** An enumerated value as written in configuration files. */
public interface Named {
  String configName();
}
