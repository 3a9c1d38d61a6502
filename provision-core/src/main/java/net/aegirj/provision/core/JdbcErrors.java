package net.aegirj.provision.core;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.regex.Pattern;
import net.aegirj.provision.api.ProvisionException;

/**
 * The failures of a {@link JdbcContextRepository}: which the repository may retry, and the
 * {@link ProvisionException} it reports for the others, naming the database and never its
 * password.
 */
final class JdbcErrors {
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
  private static final Pattern URL_USER_INFO = Pattern.compile("//[^/@?]*@");

  /** The database (its URL without credentials), for messages. */
  private final String description;
  /** The password, only to scrub it from drivers' messages; null for a data source. */
  private final String secret;

  JdbcErrors(String description, String secret) {
    this.description = description;
    this.secret = secret;
  }

  ProvisionException failure(String what, SQLException e, boolean committing) {
    String state = e.getSQLState();
    String raw = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String said = scrub(raw);
    StringBuilder m = new StringBuilder("cannot ").append(what).append(" in ").append(description).append(": ");
    m.append(said);
    if (state != null) {
      m.append(" (SQLState ").append(state).append(')');
    }
    if (committing) {
      m.append("; the connection failed while committing, so the change may or may not be stored: reload and check");
    } else if (e.getMessage() != null && e.getMessage().startsWith("No suitable driver")) {
      m.append("; put the JDBC driver on the class path (org.mariadb.jdbc:mariadb-java-client or "
          + "org.postgresql:postgresql)");
    } else if (state != null && state.startsWith("08")) {
      m.append("; the database cannot be reached: check that it runs and the URL, user and password");
    } else if (state != null && state.startsWith("28")) {
      m.append("; the database refused the user: check the user and password");
    }
    // a driver may quote the URL, password included: then the cause is replaced by a scrubbed copy
    SQLException cause = said.equals(raw) ? e : new SQLException(said, state, e.getErrorCode());
    return new ProvisionException(m.toString(), cause);
  }

  /** @return the text without the password or a URL's credentials */
  String scrub(String text) {
    String out = redact(text);
    return secret == null || secret.isEmpty() ? out : out.replace(secret, "***");
  }

  /** @return the URL without its password or a user and password before the host */
  static String redact(String url) {
    return URL_USER_INFO.matcher(URL_PASSWORD.matcher(url).replaceAll("$1***")).replaceAll("//***@");
  }

  /** A broken integrity constraint (SQLState class 23), such as a duplicate name. */
  static boolean isIntegrityViolation(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("23");
  }

  /** Deadlocks and serialisation failures: the database rolled the transaction back whole. */
  static boolean isRetryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().equals("40001") || s.getSQLState().equals("40P01"))) {
        return true;
      }
    }
    return false;
  }

  /** A connection that broke (a restarted server, a killed session, a network failure). */
  static boolean isConnectionFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException
          || t instanceof SQLTransientConnectionException) {
        return true;
      }
      // 08: connection exception; 57P0x: PostgreSQL ended the session (shutdown, crash, terminated)
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P0"))) {
        return true;
      }
    }
    return false;
  }
}
