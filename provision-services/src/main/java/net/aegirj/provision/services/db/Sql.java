package net.aegirj.provision.services.db;

import net.aegirj.provision.api.Grammar;

/**
 * Quoting for MySQL statements. Every value is first held to a grammar that excludes quotes,
 * backticks, backslashes and control characters, so the quoting below can never be escaped; a
 * value that fails its grammar is refused before any statement is built.
 */
final class Sql {
  private Sql() {}

  /** A database or user name, backtick-quoted. */
  static String ident(Object context, String property, String name) {
    return "`" + Grammar.DB_NAME.check(context, property, name) + "`";
  }

  /**
   * A database name as the object of a database-level GRANT, where {@code _} and {@code %} are
   * wildcards: escaped so that the grant covers exactly this database.
   */
  static String grantTarget(Object context, String name) {
    return "`" + Grammar.DB_NAME.check(context, "db_name", name).replace("_", "\\_") + "`";
  }

  /** A host part of an account: a host name, an IP address, {@code %} or {@code localhost}. */
  static String host(Object context, String host) {
    if (!host.equals("%") && !Grammar.HOST_OR_IP.accepts(host)) {
      Grammar.HOST_OR_IP.check(context, "grant host", host);
    }
    return "'" + host + "'";
  }

  /** A password of letters, digits, '_' and '-', single-quoted. */
  static String password(Object context, String password) {
    return "'" + Grammar.TOKEN.check(context, "db_passwd", password) + "'";
  }

  /** An account {@code 'user'@'host'}. */
  static String account(Object context, String user, String host) {
    return "'" + Grammar.DB_NAME.check(context, "db_user", user) + "'@" + host(context, host);
  }
}
