package net.aegirj.provision.core.host;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting for the strings {@link SshHost} sends: POSIX sh words, JSch SFTP paths, find patterns. */
final class SshShell {
  private SshShell() {}

  /**
   * @param word any string
   * @return the word single-quoted for a POSIX shell: {@code 'it'\''s'} for {@code it's}
   */
  static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * The one string sshd hands to the remote user's shell ({@code $SHELL -c STRING}): every word
   * single-quoted, so the shell splits it back into exactly these words and expands nothing.
   *
   * @param argv an argument vector
   * @return the command line
   */
  static String commandLine(List<String> argv) {
    return argv.stream().map(SshShell::quote).collect(Collectors.joining(" "));
  }

  /**
   * JSch treats {@code *} and {@code ?} in most remote paths as glob characters and {@code \} as
   * their escape; this escapes all three, so a path means itself.
   *
   * @param path a remote path
   * @return the path as JSch's globbing methods (stat, get, rename, chmod, rm …) expect it
   */
  static String sftpLiteral(String path) {
    StringBuilder b = new StringBuilder(path.length() + 8);
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '\\' || c == '*' || c == '?') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  /**
   * @param literal a path
   * @return a pattern for find's {@code -path} (fnmatch) that matches exactly the path
   */
  static String fnmatchLiteral(String literal) {
    StringBuilder b = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c == '\\' || c == '*' || c == '?' || c == '[') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }
}
