package net.aegirj.provision.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code bin/provision} as a child process for the Failsafe tests, with no {@code PROVISION_*}
 * variable from the test's own environment.
 */
final class BinProvisionProcess {
  static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().getParent();
  static final Path SCRIPT = ROOT.resolve("bin/provision");

  /** The outcome of one child process. */
  record Exit(int status, String out, String err) {}

  private BinProvisionProcess() {}

  static Exit run(Path cwd, Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(SCRIPT.toString());
    command.addAll(List.of(args));
    return exec(command, cwd, env, Duration.ofSeconds(120));
  }

  /**
   * Runs a command as a child process: this JVM's Java, no {@code PROVISION_*} variable of the
   * test's environment, the given ones, no input.
   */
  static Exit exec(List<String> command, Path cwd, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().keySet().removeIf(k -> k.startsWith("PROVISION_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
    }
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("%s finishes within %s", command, timeout).isTrue();
    return new Exit(p.exitValue(), out.join(), err.join());
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
