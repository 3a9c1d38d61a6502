package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.aegir.AegirImport;
import net.aegirj.provision.core.aegir.AegirImport.Entry;
import net.aegirj.provision.core.aegir.AegirImport.SkippedProperty;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code provision import <dir> [--overwrite]}: imports the contexts of an Aegir installation from
 * its alias files ({@code *.alias.drushrc.php}, usually {@code ~aegir/.drush}). Every file is
 * parsed first: a file that is not plain alias data refuses the whole import (exit 2) before
 * anything is saved.
 *
 * <p>{@code --json}: {@code {"ok":true,"command":"import","directory":"...","imported":2,
 * "unchanged":0,"skipped":1,"conflicts":0,"contexts":[{"file":"...","name":"@x",
 * "context_type":"server","outcome":"imported","reason":null,
 * "skipped_properties":[{"property":"...","reason":"..."}]}],"exit_code":0}}; {@code outcome} is
 * {@code imported}, {@code unchanged}, {@code skipped} or {@code conflict}.
 */
@Command(name = "import", sortOptions = false, usageHelpWidth = 100,
    description = {
        "Imports an Aegir installation's contexts from its alias files (*.alias.drushrc.php in DIR,"
            + " usually ~aegir/.drush): servers first (@server_master first), then platforms, then sites.",
        "Derived values (config_path, site_path, ...) are skipped; properties Provision does not know,"
            + " or refuses, are skipped with the reason. A context that exists with different"
            + " properties is reported as a conflict and left alone, unless --overwrite is given.",
        "The files are read as data, never run: anything but plain arrays, strings, numbers,"
            + " TRUE/FALSE/NULL is refused, and then nothing is imported."})
final class ImportCommand implements CliCommand {
  @Parameters(index = "0", paramLabel = "DIR", description = "The directory of alias files.")
  String dir;

  @Option(names = "--overwrite", description = "Replace existing contexts that differ from the files.")
  boolean overwrite;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Override
  public Result execute(Provision provision, Progress progress) {
    Path path;
    try {
      path = Path.of(dir);
    } catch (InvalidPathException e) {
      throw new UsageException(Text.quote(dir) + " is not a valid path");
    }
    AegirImport.Report report = AegirImport.run(provision, path, overwrite);

    ObjectNode json = Values.object();
    json.put("directory", path.toString());
    json.put("imported", report.with(AegirImport.Outcome.IMPORTED).size());
    json.put("unchanged", report.with(AegirImport.Outcome.UNCHANGED).size());
    json.put("skipped", report.with(AegirImport.Outcome.SKIPPED).size());
    json.put("conflicts", report.with(AegirImport.Outcome.CONFLICT).size());
    ArrayNode contexts = json.putArray("contexts");
    StringBuilder text = new StringBuilder();
    for (Entry e : report.entries()) {
      String outcome = e.outcome().name().toLowerCase(Locale.ROOT);
      ObjectNode c = contexts.addObject();
      c.put("file", e.file().toString());
      c.put("name", e.name());
      c.put("context_type", e.type().map(t -> t.id()).orElse(null));
      c.put("outcome", outcome);
      c.put("reason", e.reason().orElse(null));
      ArrayNode skipped = c.putArray("skipped_properties");
      text.append(Values.sanitize(e.name())).append(": ").append(outcome);
      e.type().ifPresent(t -> text.append(' ').append(t.id()));
      text.append(" (").append(Values.sanitize(e.file().getFileName().toString())).append(')');
      e.reason().ifPresent(r -> text.append(": ").append(Values.sanitize(r)));
      text.append('\n');
      for (SkippedProperty s : e.skippedProperties()) {
        ObjectNode sp = skipped.addObject();
        sp.put("property", s.property());
        sp.put("reason", s.reason());
        text.append("  skipped ").append(Values.sanitize(s.property())).append(": ")
            .append(Values.sanitize(s.reason())).append('\n');
      }
    }
    text.append(String.format("%d imported, %d unchanged, %d skipped, %d conflicts%n",
        report.with(AegirImport.Outcome.IMPORTED).size(), report.with(AegirImport.Outcome.UNCHANGED).size(),
        report.with(AegirImport.Outcome.SKIPPED).size(), report.with(AegirImport.Outcome.CONFLICT).size()));
    return new Result(json, text.toString());
  }
}
