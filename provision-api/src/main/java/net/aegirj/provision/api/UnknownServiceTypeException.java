package net.aegirj.provision.api;

import java.util.List;

/** A server names a service type that no provider on the class path offers. */
public class UnknownServiceTypeException extends InvalidContextException {
  private static final long serialVersionUID = 1L;

  /**
   * @param context the server
   * @param service the service ({@code http}, {@code db}, {@code dns})
   * @param id the unknown id
   * @param available the ids available for that service
   */
  public UnknownServiceTypeException(String context, String service, String id, List<String> available) {
    super(context, service + "_service_type", Text.quote(id) + " is not a known " + service
        + " service type; available: " + String.join(", ", available));
  }
}
