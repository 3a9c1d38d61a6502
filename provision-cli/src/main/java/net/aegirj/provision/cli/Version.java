package net.aegirj.provision.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This build's version, from {@code version.properties} (written by the build from the POM). */
final class Version {
  private Version() {}

  /** @return the version, or {@code unknown} when the build wrote none */
  static String get() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
