package net.aegirj.provision.services.db;

import java.nio.file.Path;
import net.aegirj.provision.core.Provision;

/** A child process for SiteEndToEndIT: backs a site up in a JVM with a small heap. */
final class BackupMain {
  private BackupMain() {}

  public static void main(String[] args) {
    try (Provision p = Provision.builder().home(Path.of(args[0])).build()) {
      System.out.println(p.site(args[1]).backup().results().get("backup_file"));
    }
  }
}
