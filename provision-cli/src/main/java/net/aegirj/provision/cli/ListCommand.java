package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.spi.ContextListing;
import net.aegirj.provision.spi.Versioned;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code provision list [--type=TYPE]}: one line per context, its name and type. A context file
 * that cannot be read is listed as an error entry, {@code <name>  error: <what is wrong>} (in
 * {@code --json}: {@code "context_type":null} with {@code "file"} and {@code "error"}), and the
 * others are listed all the same.
 */
final class ListCommand implements CliCommand {
  String type;

  /** @return the model of {@code provision list} over this command */
  CommandSpec spec() {
    CommandSpec spec = Specs.command(this, "list",
        "Lists the contexts, ordered by name: one line per context with its name and type.",
        "A context file that cannot be read is listed as 'NAME  error: WHAT IS WRONG'; the others are listed"
            + " all the same.");
    spec.addOption(Specs.value("--type", "TYPE", "Only contexts of this type: server, platform or site."));
    spec.addOption(Specs.help());
    return spec;
  }

  @Override
  public void bind(CommandSpec spec) {
    type = Specs.value(spec, "--type");
  }

  @Override
  public Result execute(Provision provision, Progress progress) {
    ContextType wanted = type == null ? null : parseType(type);
    ContextListing listing = provision.listReadable(wanted);

    ObjectNode json = Values.object();
    if (wanted == null) {
      json.putNull("type");
    } else {
      json.put("type", wanted.id());
    }
    // One line per context, ordered by name; a context file that cannot be read is an error entry
    // among them (under its name when the file name tells it), and the others are listed.
    List<Object[]> entries = new ArrayList<>();
    for (Versioned v : listing.contexts()) {
      Context c = v.context();
      entries.add(new Object[] {c.name().toString(), c.type().id(), null});
    }
    for (ContextListing.Unreadable u : listing.unreadable()) {
      entries.add(new Object[] {u.name().map(ContextName::toString).orElse(null), null, u});
    }
    entries.sort(Comparator.comparing((Object[] e) -> e[0] == null ? u(e).source() : (String) e[0]));
    ArrayNode array = json.putArray("contexts");
    int width = entries.stream().filter(e -> e[0] != null).mapToInt(e -> ((String) e[0]).length()).max().orElse(0);
    StringBuilder text = new StringBuilder();
    for (Object[] e : entries) {
      String name = (String) e[0];
      ObjectNode node = array.addObject();
      if (e[2] == null) {
        node.put("name", name).put("context_type", (String) e[1]);
        text.append(name).append(" ".repeat(width - name.length())).append("  ").append(e[1]).append('\n');
        continue;
      }
      ContextListing.Unreadable bad = u(e);
      if (name == null) {
        node.putNull("name");
      } else {
        node.put("name", name);
      }
      node.putNull("context_type");
      node.put("file", bad.source());
      node.put("error", bad.problem());
      String shown = name == null ? bad.source() : name;
      text.append(Values.sanitize(shown)).append(" ".repeat(Math.max(0, width - shown.length()))).append("  error: ")
          .append(Values.sanitize(bad.problem())).append('\n');
    }
    return new Result(json, text.toString());
  }

  private static ContextListing.Unreadable u(Object[] entry) {
    return (ContextListing.Unreadable) entry[2];
  }

  private static ContextType parseType(String id) {
    for (ContextType t : ContextType.values()) {
      if (t.id().equals(id)) {
        return t;
      }
    }
    throw new UsageException("option '--type': " + Text.quote(id) + " is not a context type; use one of "
        + Arrays.stream(ContextType.values()).map(ContextType::id).collect(Collectors.joining(", ")));
  }
}
