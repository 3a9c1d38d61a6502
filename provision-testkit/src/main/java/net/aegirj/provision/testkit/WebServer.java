package net.aegirj.provision.testkit;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A web server the testkit started ({@link ApacheServer}, {@link NginxServer}): its main
 * configuration, which includes the {@code config/<app>.conf} a server verify writes, its logs, the
 * two free ports chosen for {@code http_port} and {@code http_ssl_port}, and the shell commands
 * Provision's {@code http_test_cmd} and {@code http_restart_cmd} take.
 */
public abstract class WebServer extends RunningServer {
  private final Path mainConfig;
  private final Path errorLog;
  private final Path accessLog;
  private final int port;
  private final int sslPort;

  WebServer(Path mainConfig, Path errorLog, Path accessLog, int port, int sslPort, ServerProcess process,
      Duration startupTime) {
    super(process, startupTime);
    this.mainConfig = mainConfig;
    this.errorLog = errorLog;
    this.accessLog = accessLog;
    this.port = port;
    this.sslPort = sslPort;
  }

  /** @return the port for {@code http_port}, on {@code 127.0.0.1} */
  public final int port() {
    return port;
  }

  /** @return the port for {@code http_ssl_port}, on {@code 127.0.0.1} */
  public final int sslPort() {
    return sslPort;
  }

  /** @return the main configuration file */
  public final Path mainConfig() {
    return mainConfig;
  }

  /** @return the main error log */
  public final Path errorLog() {
    return errorLog;
  }

  /** @return the access log */
  public final Path accessLog() {
    return accessLog;
  }

  /** @return a shell command that tests the configuration, for {@code http_test_cmd} */
  public abstract String testCommand();

  /**
   * @return a shell command that makes the server load its configuration again, for
   *     {@code http_restart_cmd}; it returns once the signal is sent, before the new configuration
   *     serves (poll the expected response, see {@link Http#getUntil})
   */
  public abstract String reloadCommand();
}
