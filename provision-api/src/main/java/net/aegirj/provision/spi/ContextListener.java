package net.aegirj.provision.spi;

import java.util.Map;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.TaskReport;

/**
 * Receives every context saved, deleted or verified, so that a front end (Aegir's
 * {@code hosting-import}, a dashboard) stays in sync. Properties are the resolved ones (set,
 * default and derived) with every secret replaced by {@code ****}. Callbacks run on the caller's
 * thread after the change is stored; an exception thrown by a listener is logged and ignored.
 */
public interface ContextListener {
  /**
   * @param name the context
   * @param type its type
   * @param version its new version
   * @param properties its resolved properties, secrets redacted
   */
  default void saved(ContextName name, ContextType type, long version, Map<String, Object> properties) {}

  /** @param name the deleted context */
  default void deleted(ContextName name) {}

  /**
   * @param name the context
   * @param report the successful verify's report
   * @param properties its resolved properties after the verify, secrets redacted
   */
  default void verified(ContextName name, TaskReport report, Map<String, Object> properties) {}
}
