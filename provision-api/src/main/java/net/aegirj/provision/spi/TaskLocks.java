package net.aegirj.provision.spi;

import java.time.Duration;
import java.util.Optional;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ProvisionException;

/**
 * Task locks that every control node sharing one {@link ContextRepository} sees: while one node
 * holds a context's lock, no other node (nor another holder in the same process) gets it. Core
 * takes this lock for every task, after its own lock inside the JVM and its lock file in the
 * home, so an implementation need not be re-entrant: a thread that takes a context's task lock
 * again is counted by core and never reaches it twice.
 *
 * <p>A repository offers task locks through {@link ContextRepository#taskLocks()} when several
 * machines, each with its own home, can use it at once (a database); a repository on one
 * machine's disk or in memory offers none, since core's lock files already cover one machine.
 *
 * <p>A held lock must not outlive its holder: when the holding process dies (even by
 * {@code kill -9}) or loses its connection to the storage, the lock is freed, so that a crashed
 * node never blocks a context for good. Implementations are safe for use by several threads, and
 * a lock may be released by another thread than the one that took it (a batch takes its locks on
 * worker threads and releases them when the whole group is done). Its {@code toString()} names
 * the shared storage for the message of a busy lock, never a password.
 */
public interface TaskLocks {
  /**
   * Takes the task lock of a context, waiting while another holder has it.
   *
   * @param name the context
   * @param wait how long to wait at most; zero tries once
   * @return the held lock, or empty when another holder kept it for the whole wait (or the
   *     thread was interrupted while waiting; its interrupt flag is set again then)
   * @throws ProvisionException when the storage cannot be reached;
   *     nothing is held then
   */
  Optional<Held> tryLock(ContextName name, Duration wait);

  /** A held task lock; close it to release. Closing twice does nothing the second time. */
  interface Held extends AutoCloseable {
    /**
     * Releases the lock. A lock that was lost meanwhile (the connection that held it broke) is
     * only logged: nothing is thrown.
     */
    @Override
    void close();
  }
}
