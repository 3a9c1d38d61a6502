package net.aegirj.provision.core;

import java.util.List;
import java.util.ServiceLoader;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;
import net.aegirj.provision.spi.ServiceType;
import net.aegirj.provision.spi.Step;

/**
 * The {@code null} type of a service: selected when a server names no type, {@code null} or
 * Aegir's {@code NONE}. It declares no properties; its one step per task does nothing and reports
 * itself as skipped.
 */
public abstract class NullServiceType implements ServiceType {
  /** The id of every null type. */
  public static final String ID = "null";

  private final String service;

  NullServiceType(String service) {
    this.service = service;
  }

  @Override
  public final String service() {
    return service;
  }

  @Override
  public final String id() {
    return ID;
  }

  @Override
  public List<Step> steps(Task task, ResolvedContext target, ResolvedContext server) {
    return List.of(Step.of(service + ": null service on " + server.name(),
        ctx -> ctx.skip("no " + service + " service type selected on " + server.name())));
  }

  @Override
  public String toString() {
    return service + "/null";
  }

  /** The null http service. */
  public static final class Http extends NullServiceType {
    /** Creates it (for {@link ServiceLoader}). */
    public Http() {
      super("http");
    }
  }

  /** The null db service. */
  public static final class Db extends NullServiceType {
    /** Creates it (for {@link ServiceLoader}). */
    public Db() {
      super("db");
    }
  }

  /** The null dns service. */
  public static final class Dns extends NullServiceType {
    /** Creates it (for {@link ServiceLoader}). */
    public Dns() {
      super("dns");
    }
  }

  /**
   * @param service a service added by a plugin
   * @return its no-op type
   */
  static NullServiceType of(String service) {
    return new NullServiceType(service) { };
  }
}
