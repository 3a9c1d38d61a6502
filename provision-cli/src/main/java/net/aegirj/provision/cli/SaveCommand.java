package net.aegirj.provision.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.aegirj.provision.api.ConflictException;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Site;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.Provision;
import net.aegirj.provision.core.SaveBatch;
import net.aegirj.provision.spi.Versioned;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code provision save @name --prop=value ...} (also {@code provision-save}): creates or merges a
 * context, or deletes it with {@code --delete}. Properties may also come from a file or standard
 * input ({@code --properties-from}, read by {@link PropertiesFile}), so that secrets stay out of
 * the process list.
 */
final class SaveCommand implements CliCommand {
  boolean delete;
  boolean forget;
  String propertiesFrom;
  String from;

  private final StandardInput stdin;

  /** @param stdin standard input, for {@code --properties-from=-} */
  SaveCommand(StandardInput stdin) {
    this.stdin = stdin;
  }

  List<String> arguments = new ArrayList<>();

  /** @return the model of {@code provision save} over this command */
  CommandSpec spec() {
    CommandSpec spec = Specs.command(this, "save",
        "Creates a context, or merges properties into an existing one (only the properties given"
            + " change). Properties are given as --property=value; the value 'null' resets a"
            + " property to its default; list properties take comma-separated values.",
        "--context_type=server|platform|site is required for a new context.",
        "Secrets on the command line are visible to other local users in the process list while"
            + " save runs: give them with --properties-from instead.");
    spec.usageMessage().width(100).customSynopsis("provision save @name [--property=value...] [--properties-from=FILE|-]",
        "       provision save @name --delete [--forget]",
        "       provision save --from=FILE|-")
        .footer("", "Examples:",
        "  provision save @server_web --context_type=server --remote_host=web1.example.com",
        "  provision save @platform_d10 --context_type=platform --root=/var/aegir/platforms/d10",
        "  provision save @example.com --context_type=site --platform=@platform_d10",
        "  provision save @example.com --aliases=www.example.com,example.net",
        "  provision save @example.com --aliases=null",
        "  printf 'db_passwd=%%s\\n' \"$DB_PASSWD\" | provision save @example.com --properties-from=-",
        "  provision save @example.com --properties-from=/root/example.com.properties",
        "  provision save @platform_old --delete",
        "  provision save @example.com --delete --forget   (an installed site: forget it, leave it running)",
        "  provision save --from=sites.jsonl --json");
    spec.addOption(Specs.flag(new String[] {"--delete"}, "Delete the context (refused while others reference it).",
      "An installed site is refused: 'provision delete @name' removes its database, files and web"
          + " server configuration, then the context."));
    spec.addOption(Specs.flag(new String[] {"--forget"}, "With --delete: also forget an installed site, leaving its"
      + " database, files and web server configuration in place, serving, and no longer managed."));
    spec.addOption(Specs.value("--properties-from", "FILE|-",
      "Also read properties from FILE, or from standard input when FILE is '-': one name=value a"
          + " line, UTF-8, as --name=value would give it (the value is everything after the first"
          + " '=', spaces included; name=null resets; lists comma-separated). Empty lines, lines of"
          + " blanks and lines starting with '#' are ignored. Refused, naming the line number but"
          + " never showing the line: a line without '=', a bad property name, a property given"
          + " twice or also on the command line, a line ending in a carriage return (CRLF: write"
          + " LF line ends), NUL, text that is not UTF-8, a file over 1 MiB.",
      "Standard input that is a terminal is refused rather than waited on; to type the properties,"
          + " give --properties-from=/dev/stdin and end with Ctrl-D.",
      "The file is read as it is: keeping it private (mode 0600) is up to its owner."));
    spec.addOption(Specs.value("--from", "FILE|-",
      "Save many contexts in one process: JSON lines from FILE, or from standard input when FILE is"
          + " '-', one context a line: {\"name\": \"@a.example.com\", \"properties\": {\"context_type\":"
          + " \"site\", \"aliases\": [\"www.a.example.com\"], \"redirection\": null}}, or"
          + " {\"name\": \"@old\", \"delete\": true} (and \"forget\": true). Values are strings,"
          + " numbers, booleans, null (reset) or lists of strings. The whole input is checked first: a"
          + " malformed line refuses it all (exit 2, the line number named, no value shown). Then each"
          + " context is saved as 'save @name' would save it; one that is refused does not stop the"
          + " others. Exit status: 0 all saved; 2 only refusals; 1 any other failure. With --json,"
          + " 'contexts' holds a result per line. At most 100,000 contexts and 64 MiB."));
    spec.addOption(Specs.help());
    spec.addPositional(Specs.positionals("@name [--property=value...]", "0..*",
        "The context name, then its properties."));
    return spec;
  }

  @Override
  public void bind(CommandSpec spec) {
    delete = Specs.flag(spec, "--delete");
    forget = Specs.flag(spec, "--forget");
    propertiesFrom = Specs.value(spec, "--properties-from");
    from = Specs.value(spec, "--from");
    arguments = Specs.positionals(spec);
  }

  @Override
  public Result execute(Provision provision, Progress progress) {
    if (from != null) {
      if (!arguments.isEmpty() || delete || forget || propertiesFrom != null) {
        throw new UsageException("--from takes the contexts from its input: give no @name, properties,"
            + " --delete, --forget or --properties-from with it");
      }
      return saveMany(provision, progress);
    }
    SaveArguments args = SaveArguments.parse(arguments);
    if (delete) {
      if (!args.changes().isEmpty()) {
        throw new UsageException("--delete takes no properties; got " + args.changes());
      }
      if (propertiesFrom != null) {
        throw new UsageException("--delete takes no properties; leave out --properties-from");
      }
      return delete(provision, args.name(), forget);
    }
    if (forget) {
      throw new UsageException("--forget goes with --delete: 'provision save " + args.name() + " --delete --forget'");
    }
    PropertyChanges changes = args.changes();
    if (propertiesFrom != null) {
      String source = PropertiesFile.describe(propertiesFrom);
      changes = PropertiesFile.merge(changes, source,
          PropertiesFile.parse(source, PropertiesFile.read(propertiesFrom, stdin)));
    }
    return save(provision, args.name(), changes);
  }

  /**
   * Runs just before the batch of {@code save --from} is written; tests put a concurrent change
   * there to see the fallback to one save at a time. Nothing in the product sets it.
   */
  static volatile Runnable BEFORE_BATCH_COMMIT = () -> { };

  /** {@code save --from}: every line of the input, each on its own, with a result per line. */
  private Result saveMany(Provision provision, Progress progress) {
    String source = PropertiesFile.STDIN.equals(from) ? "standard input (--from=-)" : "--from=" + Text.quote(from);
    List<ContextLines.Line> lines = ContextLines.parse(source, PropertiesFile.read(from, stdin, "--from", source,
        ContextLines.MAX_BYTES, "pipe the contexts in ('provision save --from=- < FILE')"));
    if (lines.size() > 1 && lines.stream().noneMatch(ContextLines.Line::delete)) {
      // Many saves: checked one by one into a batch, written together (one flush to disk, O(N));
      // when another process changed a context meanwhile, saved again one at a time.
      SaveBatch batch = provision.saveBatch();
      // Told once the batch is on disk, with the numbers the loop gave them.
      List<Runnable> told = new ArrayList<>();
      Result r = saveLines(provision, lines, new Store() {
        @Override
        public Optional<Versioned> load(ContextName name) {
          return batch.load(name);
        }

        @Override
        public ContextName save(String rawName, PropertyChanges changes) {
          return batch.save(rawName, changes).context().name();
        }
      }, (i, n, message) -> told.add(() -> progress.item(i, n, message)));
      try {
        BEFORE_BATCH_COMMIT.run();
        batch.commit();
        told.forEach(Runnable::run);
        return r;
      } catch (ConflictException | InvalidContextException e) {
        // another process changed a context or took a host name meanwhile: nothing was written
        progress.note("provision: the " + lines.size() + " contexts were not written as one batch ("
            + Values.sanitize(String.valueOf(e.getMessage())) + "); nothing of it was written; saving them one at"
            + " a time, each checked again");
      }
    }
    return saveLines(provision, lines, direct(provision), progress::item);
  }

  /** Where the lines of {@code save --from} are saved: the repository, or a batch. */
  private interface Store {
    Optional<Versioned> load(ContextName name);

    ContextName save(String rawName, PropertyChanges changes);
  }

  /** @return the repository, one save at a time */
  private static Store direct(Provision provision) {
    return new Store() {
      @Override
      public Optional<Versioned> load(ContextName name) {
        return provision.repository().load(name);
      }

      @Override
      public ContextName save(String rawName, PropertyChanges changes) {
        return provision.save(rawName, changes).name();
      }
    };
  }

  /** Where a line's outcome is told. */
  @FunctionalInterface
  private interface Told {
    void item(int done, int of, String message);
  }

  private static Result saveLines(Provision provision, List<ContextLines.Line> lines, Store store, Told progress) {
    ObjectNode json = Values.object();
    ArrayNode results = json.putArray("contexts");
    StringBuilder text = new StringBuilder();
    int refused = 0;
    int failed = 0;
    String first = null;
    for (ContextLines.Line line : lines) {
      try {
        Result one = line.delete() ? delete(provision, line.name(), line.forget()) : save(store, line.name(),
            line.changes());
        ObjectNode c = (ObjectNode) one.json().get("context");
        c.put("ok", true);
        c.put("line", line.line());
        results.add(c);
        text.append(one.text());
        progress.item(results.size(), lines.size(), line.name() + ": " + (line.delete() ? "deleted" : "saved"));
      } catch (ProvisionException e) {
        boolean bad = e.isBadInput();
        refused += bad ? 1 : 0;
        failed += bad ? 0 : 1;
        String message = Values.sanitize(String.valueOf(e.getMessage()));
        if (first == null) {
          first = "line " + line.line() + ": " + message;
        }
        ObjectNode c = results.addObject();
        c.put("name", line.name());
        c.put("ok", false);
        c.put("line", line.line());
        ObjectNode error = c.putObject("error");
        error.put("type", bad ? "invalid_input" : "failed");
        error.put("message", message);
        c.put("exit_code", bad ? Main.BAD_INPUT : Main.FAILED);
        text.append(line.name()).append(": error: ").append(message).append('\n');
        progress.item(results.size(), lines.size(), line.name() + ": error: " + message);
      }
    }
    int saved = lines.size() - refused - failed;
    json.put("saved", saved);
    json.put("refused", refused);
    json.put("failed", failed);
    if (refused + failed == 0) {
      return new Result(json, text.toString());
    }
    String summary = (refused + failed) + " of " + lines.size() + " contexts not saved (" + refused + " refused, "
        + failed + " failed); first: " + first;
    return new Result(json, text.toString(), Optional.of(summary), failed > 0 ? Main.FAILED : Main.BAD_INPUT,
        failed > 0 ? "save_failed" : "invalid_input");
  }

  /** Saves one context and describes the result. */
  private static Result save(Provision provision, String rawName, PropertyChanges changes) {
    return save(direct(provision), rawName, changes);
  }

  private static Result save(Store store, String rawName, PropertyChanges changes) {
    ContextName name = ContextName.of(rawName);
    Optional<Versioned> before = store.load(name);
    ContextName saved = store.save(rawName, changes);
    Versioned after = store.load(saved).orElseThrow(() ->
        new ProvisionException(saved + ": was saved but has disappeared since (deleted concurrently?)"));
    Context context = after.context();
    boolean created = before.isEmpty();
    boolean changed = created || before.get().version() != after.version();

    ObjectNode json = Values.object();
    ObjectNode c = json.putObject("context");
    c.put("name", context.name().toString());
    c.put("context_type", context.type().id());
    c.put("version", after.version());
    if (created) {
      c.putNull("previous_version");
    } else {
      c.put("previous_version", before.get().version());
    }
    c.put("created", created);
    c.put("changed", changed);
    ObjectNode props = c.putObject("properties");

    StringBuilder text = new StringBuilder();
    text.append(context.name()).append(": ");
    if (created) {
      text.append("created ").append(context.type().id()).append(", version ").append(after.version());
    } else if (changed) {
      text.append("saved ").append(context.type().id()).append(", version ")
          .append(before.get().version()).append(" -> ").append(after.version());
    } else {
      text.append(context.type().id()).append(" unchanged, version ").append(after.version());
    }
    text.append('\n');
    for (Map.Entry<String, Object> e : context.properties().entrySet()) {
      boolean secret = Values.isSecret(context.type(), e.getKey(), false);
      props.set(e.getKey(), secret ? Values.json(Values.REDACTED) : Values.json(e.getValue()));
      text.append("  ").append(Values.sanitize(e.getKey())).append(" = ")
          .append(secret ? Values.REDACTED : Values.text(e.getValue())).append('\n');
    }
    return new Result(json, text.toString());
  }

  private static Result delete(Provision provision, String rawName, boolean forget) {
    ContextName name = ContextName.of(rawName);
    Optional<Versioned> before = provision.repository().load(name);
    if (forget) {
      provision.forget(rawName);
    } else {
      provision.delete(rawName);
    }
    ObjectNode json = Values.object();
    ObjectNode c = json.putObject("context");
    c.put("name", name.toString());
    if (before.isPresent()) {
      c.put("context_type", before.get().context().type().id());
      c.put("version", before.get().version());
    } else {
      c.putNull("context_type");
      c.putNull("version");
    }
    c.put("deleted", true);
    boolean leftRunning = forget && before.map(v -> v.context() instanceof Site s && s.installed().orElse(false))
        .orElse(false);
    c.put("left_running", leftRunning);
    String type = before.map(v -> " " + v.context().type().id()).orElse("");
    String note = leftRunning ? "; its database, files and web server configuration are left in place, unmanaged" : "";
    return new Result(json, name + ": deleted" + type + note + "\n");
  }
}
