package net.aegirj.provision.core.aegir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ResolvedContext.Property;
import net.aegirj.provision.api.ResolvedContext.Source;
import net.aegirj.provision.core.Provision;

/**
 * Writes contexts as Aegir alias files, {@code <dir>/<name>.alias.drushrc.php}, in the format
 * {@link AliasFile} reads and with Aegir's property names: {@code context_type}, {@code server},
 * the properties that were set (in schema order, then those of the service types), and the derived
 * values Aegir expects to find persisted ({@code aegir_root} and {@code script_user} of every
 * server, its {@code config_path}, {@code backup_path}, {@code include_path},
 * {@code clients_path}; a site's {@code root} and {@code site_path}). Defaults are left out: Aegir
 * works them out itself.
 *
 * <p>Secrets (such as {@code master_db}, {@code cron_key}, {@code db_passwd}) are written only when
 * asked for; a file that holds one is mode 0600, any other 0640. Files are replaced atomically.
 */
public final class AegirExport {
  private static final Set<String> DERIVED_WRITTEN = Set.of("config_path", "backup_path", "include_path",
      "clients_path", "root", "site_path", "aegir_root", "script_user");
  private static final Set<String> ALWAYS_SECRET = Set.of("cron_key", "master_db", "db_passwd");
  private static final Set<PosixFilePermission> SECRET_MODE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PLAIN_MODE = PosixFilePermissions.fromString("rw-r-----");

  private AegirExport() {}

  /**
   * One file written.
   *
   * @param name the context
   * @param file the alias file
   * @param holdsSecret whether a secret was written (the file is 0600 then, else 0640)
   */
  public record Exported(ContextName name, Path file, boolean holdsSecret) {}

  /**
   * Exports one context.
   *
   * @param provision where the context is stored
   * @param name the context
   * @param dir the directory (created when missing)
   * @param includeSecrets whether secret values are written
   * @return the file written
   */
  public static Exported export(Provision provision, String name, Path dir, boolean includeSecrets) {
    ResolvedContext r = provision.resolve(name);
    return write(dir, r, includeSecrets);
  }

  /**
   * Exports every context, {@code @server_master} included.
   *
   * @param provision where the contexts are stored
   * @param dir the directory (created when missing)
   * @param includeSecrets whether secret values are written
   * @return the files written, ordered by context name
   */
  public static List<Exported> exportAll(Provision provision, Path dir, boolean includeSecrets) {
    List<String> names = new ArrayList<>();
    boolean master = false;
    for (Context c : provision.list()) {
      names.add(c.name().toString());
      master |= c.name().isMaster();
    }
    if (!master) {
      names.add(ContextName.MASTER.toString());
      names.sort(null);
    }
    List<Exported> out = new ArrayList<>();
    for (String n : names) {
      out.add(export(provision, n, dir, includeSecrets));
    }
    return out;
  }

  /**
   * @param r a resolved context
   * @param includeSecrets whether secret values are included
   * @return the properties Aegir's alias file holds, in order (secrets left out unless asked for)
   */
  public static Map<String, Object> aliasProperties(ResolvedContext r, boolean includeSecrets) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("context_type", r.context().type().id());
    m.put("server", ContextName.MASTER.toString());
    for (Property p : r.properties()) {
      if (p.name().equals("context_type") || p.name().equals("server") || p.value().isEmpty()) {
        continue;
      }
      boolean wanted = p.source() == Source.SET
          || (DERIVED_WRITTEN.contains(p.name()) && (r.context().type() != ContextType.PLATFORM));
      if (!wanted || (isSecret(p) && !includeSecrets)) {
        continue;
      }
      m.put(p.name(), p.value().get());
    }
    return m;
  }

  static boolean isSecret(Property p) {
    return p.secret() || ALWAYS_SECRET.contains(p.name()) || p.name().contains("passw")
        || p.name().contains("secret");
  }

  private static Exported write(Path dir, ResolvedContext r, boolean includeSecrets) {
    Map<String, Object> props = aliasProperties(r, includeSecrets);
    boolean secret = false;
    for (Property p : r.properties()) {
      if (props.containsKey(p.name()) && isSecret(p)) {
        secret = true;
      }
    }
    String text = AliasFile.write(r.name().value(), props);
    Path file = dir.resolve(r.name().value() + AegirImport.SUFFIX);
    Set<PosixFilePermission> mode = secret ? SECRET_MODE : PLAIN_MODE;
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".export-", ".tmp",
          PosixFilePermissions.asFileAttribute(SECRET_MODE));
      try {
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, mode);
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return new Exported(r.name(), file, secret);
  }
}
