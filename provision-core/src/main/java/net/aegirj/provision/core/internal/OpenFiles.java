package net.aegirj.provision.core.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.OptionalLong;

/** How many more files this process may open, where the JVM can tell. */
final class OpenFiles {
  private OpenFiles() {}

  /**
   * @return the process's file descriptor limit less those it holds open now; empty where the JVM
   *     cannot tell (not a Unix, or no {@code jdk.management} module)
   */
  static OptionalLong free() {
    try {
      OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
        long max = unix.getMaxFileDescriptorCount();
        long open = unix.getOpenFileDescriptorCount();
        if (max > 0 && open >= 0) {
          return OptionalLong.of(Math.max(0, max - open));
        }
      }
    } catch (LinkageError | RuntimeException e) {
      // no management support in this runtime: the caller uses its own bound
    }
    return OptionalLong.empty();
  }
}
