package net.aegirj.provision.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.aegirj.provision.api.Grammar;
import net.aegirj.provision.api.PropertyChanges;
import net.aegirj.provision.api.Text;

/**
 * The properties of {@code provision save @name --properties-from=FILE}, so that secrets need
 * not be on the command line (where other local users see them in the process list).
 *
 * <p>The file holds one {@code name=value} a line, in UTF-8, with the meaning of the argument
 * {@code --name=value}: the value is everything after the first {@code =} up to the end of the
 * line, spaces included; {@code name=null} resets the property to its default; {@code name=}
 * gives the empty value; list properties take comma-separated values. Lines that are empty or
 * only spaces and tabs, and lines that start with {@code #}, are ignored. Everything else is
 * refused with an error naming the line number and never showing the line (it may hold a secret):
 * a line without {@code =}, a name that is not a property name (spaces around it included),
 * {@code delete} and {@code help} (options of {@code save}, not properties), a property given
 * twice, a line that ends with a carriage return (CRLF line ends: refused rather than stripped, so
 * a value is stored exactly as written or not at all), a NUL character, bytes that are not UTF-8,
 * and a file larger than {@link #MAX_BYTES}. A FILE of {@code -} is standard input, refused when
 * it is a terminal. The caller owns the file's permissions: it is read as it is.
 */
final class PropertiesFile {
  /** The FILE that means standard input. */
  static final String STDIN = "-";

  /** The largest file read: 1 MiB. */
  static final int MAX_BYTES = 1024 * 1024;

  /** Options of {@code save} that a line could be mistaken for. */
  private static final Set<String> OPTIONS = Set.of("delete", "help");

  private static final String BYTE_ORDER_MARK = "\uFEFF";

  /**
   * One property line.
   *
   * @param name the property name
   * @param value its value as text; {@code null} (the word) resets the property
   * @param line the line number, from 1
   */
  record Entry(String name, String value, int line) {
    @Override
    public String toString() {
      // The value may be a secret.
      return "Entry[" + name + ", line " + line + "]";
    }
  }

  private PropertiesFile() {}

  /**
   * @param from the {@code --properties-from} value: a path, or {@link #STDIN}
   * @return how errors name it: {@code standard input}, or {@code --properties-from} and the
   *     quoted path
   */
  static String describe(String from) {
    return STDIN.equals(from) ? "standard input (--properties-from=-)" : "--properties-from=" + Text.quote(from);
  }

  /**
   * Reads a properties file whole.
   *
   * @param from a path, or {@link #STDIN} for standard input
   * @param stdin standard input
   * @return the file's bytes, at most {@link #MAX_BYTES}
   * @throws UsageException when the file cannot be read, is too large, or is a terminal
   */
  static byte[] read(String from, StandardInput stdin) {
    return read(from, stdin, "--properties-from", describe(from), MAX_BYTES,
        "pipe the properties in ('provision save @name --properties-from=- < FILE')");
  }

  /**
   * Reads a file named by an option whole.
   *
   * @param from a path, or {@link #STDIN} for standard input
   * @param stdin standard input
   * @param option the option that names it, for messages
   * @param source how errors name it
   * @param maxBytes the largest file read
   * @param pipeAdvice how to give it when standard input is a terminal
   * @return the file's bytes, at most {@code maxBytes}
   * @throws UsageException when the file cannot be read, is too large, or is a terminal
   */
  static byte[] read(String from, StandardInput stdin, String option, String source, int maxBytes,
      String pipeAdvice) {
    if (STDIN.equals(from)) {
      if (stdin.terminal()) {
        throw new UsageException(option + "=-: standard input is a terminal; " + pipeAdvice + ", or give "
            + option + "=/dev/stdin to type them (end with Ctrl-D)");
      }
      return readAtMost(stdin.stream(), source, maxBytes);
    }
    if (from.isEmpty()) {
      throw new UsageException(option + " needs a file, or '-' for standard input");
    }
    Path path;
    try {
      path = Path.of(from);
    } catch (InvalidPathException e) {
      throw new UsageException(source + ": not a valid path");
    }
    try (InputStream in = Files.newInputStream(path)) {
      return readAtMost(in, source, maxBytes);
    } catch (NoSuchFileException e) {
      throw new UsageException(source + ": no such file");
    } catch (AccessDeniedException e) {
      throw new UsageException(source + ": permission denied");
    } catch (IOException e) {
      throw new UsageException(source + ": cannot be read: " + e.getMessage());
    }
  }

  private static byte[] readAtMost(InputStream in, String source, int maxBytes) {
    byte[] bytes;
    try {
      bytes = in.readNBytes(maxBytes + 1);
    } catch (IOException e) {
      throw new UsageException(source + ": cannot be read: " + e.getMessage());
    }
    if (bytes.length > maxBytes) {
      throw new UsageException(source + ": larger than " + (maxBytes / (1024 * 1024)) + " MiB (" + maxBytes
          + " bytes), the most it may hold");
    }
    return bytes;
  }

  /**
   * Parses a properties file.
   *
   * @param source how errors name the file ({@link #describe(String)})
   * @param bytes its content
   * @return its property lines, in order
   * @throws UsageException naming the line number of the first malformed line, never its content
   */
  static List<Entry> parse(String source, byte[] bytes) {
    List<Entry> entries = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    int start = 0;
    int number = 0;
    while (start < bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      number++;
      Optional<Entry> entry = line(source, number, bytes, start, end);
      start = end + 1;
      if (entry.isEmpty()) {
        continue;
      }
      Entry e = entry.get();
      Integer first = seen.putIfAbsent(e.name(), number);
      if (first != null) {
        throw new UsageException(source + ": property " + Text.quote(e.name()) + " is given twice (lines "
            + first + " and " + number + "); give each property once");
      }
      entries.add(e);
    }
    return entries;
  }

  private static Optional<Entry> line(String source, int number, byte[] bytes, int start, int end) {
    String where = source + ", line " + number;
    if (end > start && bytes[end - 1] == '\r') {
      throw new UsageException(where + ": ends with a carriage return (a CRLF line end);"
          + " write the file with LF line ends");
    }
    String line;
    try {
      CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
      CharBuffer chars = utf8.decode(ByteBuffer.wrap(bytes, start, end - start));
      line = chars.toString();
    } catch (CharacterCodingException e) {
      throw new UsageException(where + ": is not UTF-8 text");
    }
    if (line.indexOf('\0') >= 0) {
      throw new UsageException(where + ": holds a NUL character");
    }
    if (number == 1 && line.startsWith(BYTE_ORDER_MARK)) {
      throw new UsageException(where + ": starts with a byte order mark; write the file as UTF-8"
          + " without one");
    }
    if (isBlank(line) || line.startsWith("#")) {
      return Optional.empty();
    }
    int eq = line.indexOf('=');
    if (eq < 0) {
      throw new UsageException(where + ": has no '=' (the line is not shown: it may hold a secret);"
          + " write name=value, or name=" + PropertyChanges.RESET + " to reset a property to its default");
    }
    String name = line.substring(0, eq);
    if (name.isEmpty()) {
      throw new UsageException(where + ": has no property name before '='; write name=value");
    }
    if (!Grammar.ID.accepts(name)) {
      String stripped = name.strip();
      if (Grammar.ID.accepts(stripped)) {
        throw new UsageException(where + ": property " + Text.quote(stripped) + " has blanks around its"
            + " name; write " + stripped + "=value");
      }
      throw new UsageException(where + ": the text before '=' is not a property name (the line is"
          + " not shown: it may hold a secret); a property name is " + Grammar.ID.description());
    }
    if (OPTIONS.contains(name)) {
      throw new UsageException(where + ": '" + name + "' is an option of save, not a property;"
          + " give --" + name + " on the command line");
    }
    return Optional.of(new Entry(name, line.substring(eq + 1), number));
  }

  private static boolean isBlank(String line) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c != ' ' && c != '\t') {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds a file's properties to those of the command line.
   *
   * @param arguments the properties given as arguments
   * @param source how errors name the file
   * @param entries the file's properties
   * @return the arguments' changes, then the file's
   * @throws UsageException when a property is given both as an argument and in the file
   */
  static PropertyChanges merge(PropertyChanges arguments, String source, List<Entry> entries) {
    PropertyChanges.Builder b = PropertyChanges.builder();
    arguments.changes().forEach((name, value) -> {
      if (value.isPresent()) {
        b.set(name, value.get());
      } else {
        b.reset(name);
      }
    });
    for (Entry e : entries) {
      if (arguments.changes().containsKey(e.name())) {
        throw new UsageException("property " + Text.quote(e.name()) + " is given both on the command line"
            + " and in " + source + " (line " + e.line() + "); give it once");
      }
      b.set(e.name(), e.value());
    }
    return b.build();
  }
}
