package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextType;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code provision list [--type=TYPE]}: one line per context, its name and type. */
@Command(name = "list", sortOptions = false,
    description = "Lists the contexts, ordered by name: one line per context with its name and type.")
final class ListCommand implements CliCommand {
  @Option(names = "--type", paramLabel = "TYPE", description = "Only contexts of this type: server, platform or site.")
  String type;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Override
  public Result execute(Provision provision, Progress progress) {
    ContextType wanted = type == null ? null : parseType(type);
    List<Context> contexts = wanted == null ? provision.list() : provision.list(wanted);

    ObjectNode json = Values.MAPPER.createObjectNode();
    if (wanted == null) {
      json.putNull("type");
    } else {
      json.put("type", wanted.id());
    }
    ArrayNode array = json.putArray("contexts");
    int width = contexts.stream().mapToInt(c -> c.name().toString().length()).max().orElse(0);
    StringBuilder text = new StringBuilder();
    for (Context c : contexts) {
      String name = c.name().toString();
      array.addObject().put("name", name).put("context_type", c.type().id());
      text.append(name).append(" ".repeat(width - name.length())).append("  ")
          .append(c.type().id()).append('\n');
    }
    return new Result(json, text.toString());
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
