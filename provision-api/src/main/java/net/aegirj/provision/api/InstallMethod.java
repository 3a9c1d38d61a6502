package net.aegirj.provision.api;

import java.util.Locale;

/** How a site is installed ({@code install_method}). */
public enum InstallMethod {
  /** Run Drupal's installer with the site's profile. */
  PROFILE,
  /** Create an empty database; the login link points at {@code /install.php}. */
  MANUAL;

  /** @return Aegir's id, {@code profile} or {@code manual} */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param id {@code profile} or {@code manual}
   * @return the method
   */
  public static InstallMethod fromId(String id) {
    return valueOf(id.toUpperCase(Locale.ROOT));
  }
}
