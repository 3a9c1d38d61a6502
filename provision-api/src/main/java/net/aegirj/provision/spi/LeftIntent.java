package net.aegirj.provision.spi;

import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.Task;

/**
 * An {@link Intent} that a killed task left behind: it may or may not have been carried out, and
 * the task never cleared it. Handed to {@link ServiceType#settle(LeftIntent, StepContext)}.
 */
public interface LeftIntent {
  /** @return what the killed task meant to create */
  Intent intent();

  /** @return the context the killed task ran on */
  ContextName context();

  /** @return the task that was killed */
  Task task();

  /**
   * @return the context as it is saved now (with whatever credentials the killed task saved before
   *     it died); empty when the context no longer exists
   */
  Optional<ResolvedContext> saved();

  /**
   * Whether something other than the killed task's context may own the intent's name: another
   * context stores it as {@code property}, or a task running now (in any process) has recorded an
   * intent for the same kind and name on the same server. A settling type keeps what is claimed.
   * When the contexts cannot be read, the answer is true (keeping is the safe side).
   *
   * @param property the context property that records the name, e.g. {@code db_name}
   * @return true when another owner may exist
   */
  boolean claimedByAnother(String property);
}
