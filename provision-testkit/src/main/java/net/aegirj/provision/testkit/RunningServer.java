package net.aegirj.provision.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * A server program that the testkit started and runs until {@link #close()}: Apache, nginx,
 * PHP-FPM, MariaDB, PostgreSQL or BIND. Each one's start writes its configuration, checks it where
 * the program can, starts its {@link ServerProcess} and waits, by probing, until it is ready
 * ({@link ServerProcess#awaitReady}); what ready means is in each server's description.
 */
public abstract class RunningServer implements AutoCloseable {
  private static final String PASSWORD_CHARS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

  private final ServerProcess process;
  private final Duration startupTime;

  RunningServer(ServerProcess process, Duration startupTime) {
    this.process = process;
    this.startupTime = startupTime;
  }

  /** @return the server's main process */
  public final ServerProcess process() {
    return process;
  }

  /**
   * @return how long its start took, from writing (or initialising) its configuration to its
   *     being ready
   */
  public final Duration startupTime() {
    return startupTime;
  }

  /** Stops the server's whole process tree ({@link ServerProcess#close()}). Idempotent. */
  @Override
  public void close() {
    process.close();
  }

  /**
   * Writes a configuration file, creating the directories it needs first.
   *
   * @param file the file
   * @param text what it holds
   * @param directories directories to create as well (state and temporary directories)
   * @throws UncheckedIOException when it cannot be written
   */
  static void writeConfig(Path file, String text, Path... directories) {
    try {
      for (Path d : directories) {
        Files.createDirectories(d);
      }
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** @return a password of 24 random letters and digits, none that looks like another */
  static String randomPassword() {
    SecureRandom random = new SecureRandom();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      b.append(PASSWORD_CHARS.charAt(random.nextInt(PASSWORD_CHARS.length())));
    }
    return b.toString();
  }
}
