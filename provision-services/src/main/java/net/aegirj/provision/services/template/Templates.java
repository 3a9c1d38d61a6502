package net.aegirj.provision.services.template;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.ProvisionException;
import net.aegirj.provision.api.ResolvedContext;
import net.aegirj.provision.spi.Host;
import net.aegirj.provision.spi.StepContext;

/**
 * The templates of one service, with per-server overrides: a template named {@code name} is the
 * operator's {@code <dir>/<subdirectory>/<name>} when the server's {@code property} names a
 * directory and that file exists there (read on the machine Provision runs on), else the class
 * path resource {@code templates/<name>} beside the anchor class. A template that does not parse
 * or render, or renders a control character, is refused before anything is written.
 */
public final class Templates {
  /**
   * Templates parsed already, by origin and source text (an operator's file is parsed again when
   * it changes): a batch renders the same few templates for every site, and parsing was a third
   * of a no-op verify's time. Bounded: cleared when it holds {@value #CACHED} entries.
   */
  private static final Map<Parsed, Template> PARSED = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int CACHED = 256;

  private record Parsed(String origin, String source) {}

  private final Class<?> anchor;
  /** The class path resources read already (they do not change while the JVM runs). */
  private final Map<String, String> resources = new java.util.concurrent.ConcurrentHashMap<>();
  private final String property;
  private final String subdirectory;

  /**
   * @param anchor the class whose package holds the {@code templates/} resources
   * @param property the server property naming the operator's template directory
   * @param subdirectory the directory under it that holds these templates ({@code ""} for none)
   */
  public Templates(Class<?> anchor, String property, String subdirectory) {
    this.anchor = anchor;
    this.property = property;
    this.subdirectory = subdirectory;
  }

  /**
   * Renders a template.
   *
   * @param local the host Provision runs on, where the operator's directory is
   * @param server the server whose property names the directory, for error messages
   * @param dir the directory, when the server names one
   * @param name the template's file name (a relative path)
   * @param model the values, each already checked against the target file's grammar
   * @return the text
   * @throws InvalidContextException when the template cannot be parsed or rendered, naming the
   *     server, the property and the file
   * @throws ProvisionException when the result holds a control character
   */
  public String render(Host local, ResolvedContext server, Optional<String> dir, String name,
      Map<String, ?> model) {
    String source = null;
    String origin = name;
    if (dir.isPresent()) {
      Path base = Path.of(dir.get());
      Path override = (subdirectory.isEmpty() ? base : base.resolve(subdirectory)).resolve(name);
      Optional<byte[]> bytes = local.read(override);
      if (bytes.isPresent()) {
        source = new String(bytes.get(), StandardCharsets.UTF_8);
        origin = override.toString();
      }
    }
    if (source == null) {
      source = resources.computeIfAbsent(name, this::resource);
    }
    String text;
    try {
      text = parsed(origin, source).render(model);
    } catch (IllegalArgumentException e) {
      throw new InvalidContextException(server.name().toString(), property,
          "template " + origin + " cannot be rendered: " + e.getMessage());
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
        throw new ProvisionException(server.name() + ": rendering " + origin
            + " produced a control character; refusing to write it");
      }
    }
    return text;
  }

  private static Template parsed(String origin, String source) {
    Parsed key = new Parsed(origin, source);
    Template t = PARSED.get(key);
    if (t == null) {
      t = Template.parse(origin, source); // a template that does not parse is never kept
      if (PARSED.size() >= CACHED) {
        PARSED.clear();
      }
      PARSED.put(key, t);
    }
    return t;
  }

  private String resource(String name) {
    String path = "templates/" + name;
    try (InputStream in = anchor.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing template resource " + path + " beside " + anchor.getName());
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read template resource " + path, e);
    }
  }

  /**
   * The lines that the types selected on a server add at an extension point
   * ({@link StepContext#templateLines}), each checked to be one line of printable text (a
   * plugin's bug must not break the file's structure).
   *
   * @param ctx the step's context
   * @param point the extension point
   * @param site the site, resolved
   * @param server the server the file is for, resolved
   * @return the lines
   * @throws InvalidContextException for a line that is not one printable line, naming the site
   *     and the point
   */
  public static List<String> extensionLines(StepContext ctx, String point, ResolvedContext site,
      ResolvedContext server) {
    List<String> out = new ArrayList<>();
    for (String line : ctx.templateLines(point, site, server)) {
      out.add(Grammar.COMMAND.check(site.name(), point, line));
    }
    return out;
  }

  @Override
  public String toString() {
    return "Templates[" + anchor.getPackageName() + ", " + property
        + (subdirectory.isEmpty() ? "" : "/" + subdirectory) + "]";
  }
}
