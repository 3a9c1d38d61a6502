package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.aegir.AegirExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code provision export @name|--all <dir> [--show-secrets]}: writes contexts as Aegir alias
 * files, {@code <dir>/<name>.alias.drushrc.php}.
 *
 * <p>{@code --json}: {@code {"ok":true,"command":"export","directory":"...",
 * "files":[{"name":"@x","file":"...","secrets":false,"mode":"0640"}],"exit_code":0}}.
 */
@Command(name = "export", sortOptions = false, usageHelpWidth = 100,
    customSynopsis = {"provision export @name DIR [--show-secrets]",
        "       provision export --all DIR [--show-secrets]"},
    description = {
        "Writes contexts as Aegir alias files (DIR/<name>.alias.drushrc.php) with Aegir's property"
            + " names, including the derived paths Aegir expects (config_path, site_path, ...).",
        "Secrets (master_db, cron_key, ...) are left out unless --show-secrets is given; a file that"
            + " holds one is mode 0600, any other 0640."})
final class ExportCommand implements CliCommand {
  @Option(names = "--all", description = "Export every context.")
  boolean all;

  @Option(names = "--show-secrets", description = "Write secret values too.")
  boolean showSecrets;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Parameters(paramLabel = "[@name] DIR", arity = "1..2", description = "The context (unless --all), then the directory.")
  List<String> arguments = new ArrayList<>();

  @Override
  public Result execute(Provision provision, Progress progress) {
    String name;
    String dir;
    if (all) {
      if (arguments.size() != 1) {
        throw new UsageException("export --all takes only a directory: provision export --all DIR");
      }
      name = null;
      dir = arguments.get(0);
    } else {
      if (arguments.size() != 2 || !arguments.get(0).startsWith("@")) {
        throw new UsageException("export needs a context and a directory: provision export @name DIR"
            + " (or --all DIR)");
      }
      name = arguments.get(0);
      dir = arguments.get(1);
    }
    Path path;
    try {
      path = Path.of(dir);
    } catch (InvalidPathException e) {
      throw new UsageException(Text.quote(dir) + " is not a valid path");
    }
    List<AegirExport.Exported> written = name == null
        ? AegirExport.exportAll(provision, path, showSecrets)
        : List.of(AegirExport.export(provision, name, path, showSecrets));

    ObjectNode json = Values.object();
    json.put("directory", path.toString());
    ArrayNode files = json.putArray("files");
    StringBuilder text = new StringBuilder();
    for (AegirExport.Exported e : written) {
      String mode = e.holdsSecret() ? "0600" : "0640";
      ObjectNode f = files.addObject();
      f.put("name", e.name().toString());
      f.put("file", e.file().toString());
      f.put("secrets", e.holdsSecret());
      f.put("mode", mode);
      text.append(e.name()).append(": wrote ").append(Values.sanitize(e.file().toString())).append(" (")
          .append(mode).append(e.holdsSecret() ? ", holds secrets" : "").append(")\n");
    }
    return new Result(json, text.toString());
  }
}
