package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.api.ResolvedContext.Property;
import net.aegirj.provision.api.ResolvedContext.Source;
import net.aegirj.provision.core.Provision;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code provision show @name...}: every property of a context, set, default and derived, with
 * secrets redacted unless {@code --show-secrets} is given; several contexts in one run for tools.
 */
final class ShowCommand implements CliCommand {
  private static final String[] DESCRIPTION = {
      "Shows every property of a context: those that were set, the defaults of the others"
          + " (marked '(default)') and the derived paths (marked '(derived)'). Properties"
          + " without a value are left out of the text output. Secrets are shown as ****."};

  List<String> names = new ArrayList<>();
  boolean showSecrets;

  /** @return the model of {@code provision show} over this command */
  CommandSpec spec() {
    CommandSpec spec = Specs.command(this, "show", DESCRIPTION);
    spec.addPositional(Specs.positionals("@name", "1..*", "The context.",
        "With several names, the command succeeds whether or not each exists: --json gives"
            + " 'contexts', one entry a name in order, each with 'found' (false for a context that"
            + " does not exist) and, when found, what 'context' holds for one name. For tools that"
            + " read many contexts in one run."));
    spec.addOption(Specs.flag(new String[] {"--show-secrets"}, "Show secret values instead of ****."));
    spec.addOption(Specs.help());
    return spec;
  }

  @Override
  public void bind(CommandSpec spec) {
    names = Specs.positionals(spec);
    showSecrets = Specs.flag(spec, "--show-secrets");
  }

  @Override
  public Result execute(Provision provision, Progress progress) {
    if (names.size() == 1) {
      return one(provision, names.get(0));
    }
    // Refuse a malformed name before anything is read.
    List<ContextName> parsed = new ArrayList<>();
    for (String n : names) {
      parsed.add(ContextName.of(n));
    }
    ObjectNode json = Values.object();
    ArrayNode contexts = json.putArray("contexts");
    StringBuilder text = new StringBuilder();
    for (ContextName n : parsed) {
      if (provision.repository().load(n).isEmpty()) {
        contexts.addObject().put("name", n.toString()).put("found", false);
        text.append(n).append(": not found\n");
        continue;
      }
      Result r = one(provision, n.toString());
      ObjectNode c = (ObjectNode) r.json().get("context");
      ObjectNode entry = contexts.addObject();
      entry.put("name", n.toString());
      entry.put("found", true);
      entry.set("context", c);
      text.append(r.text());
    }
    return new Result(json, text.toString());
  }

  private Result one(Provision provision, String name) {
    ResolvedContext resolved = provision.resolve(name);
    Context context = resolved.context();

    ObjectNode json = Values.object();
    ObjectNode c = json.putObject("context");
    c.put("name", context.name().toString());
    c.put("context_type", context.type().id());
    c.put("version", resolved.version());
    ObjectNode props = c.putObject("properties");

    int width = 0;
    for (Property p : resolved.properties()) {
      if (p.value().isPresent()) {
        width = Math.max(width, p.name().length());
      }
    }
    StringBuilder text = new StringBuilder();
    text.append(context.name()).append(" (").append(context.type().id()).append(", version ")
        .append(resolved.version()).append(")\n");
    for (Property p : resolved.properties()) {
      boolean secret = Values.isSecret(context.type(), p.name(), p.secret());
      boolean redact = secret && !showSecrets && p.value().isPresent();
      String source = p.source().name().toLowerCase(Locale.ROOT);
      ObjectNode prop = props.putObject(p.name());
      if (p.value().isEmpty()) {
        prop.putNull("value");
      } else {
        prop.set("value", Values.json(redact ? Values.REDACTED : p.value().get()));
      }
      prop.put("source", source);
      prop.put("secret", secret);
      if (p.value().isEmpty()) {
        continue;
      }
      String value = redact ? Values.REDACTED : Values.text(p.value().get());
      text.append("  ").append(pad(Values.sanitize(p.name()), width)).append("  ").append(value);
      if (p.source() != Source.SET) {
        text.append("  (").append(source).append(')');
      }
      text.append('\n');
    }
    return new Result(json, text.toString());
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
