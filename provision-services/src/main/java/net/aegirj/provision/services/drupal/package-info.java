/**
 * Drupal support: code base detection on platforms, site directories with Aegir's modes, the
 * settings file for the detected major version, install by profile or manual, client links.
 * settings.php, drushrc.php and sites.php are rendered from the templates in {@code templates/}
 * beside these classes, which the web server's {@code <http_template_dir>/drupal/} overrides;
 * plugins add lines to settings.php at {@link net.aegirj.provision.services.drupal.Drupal#SETTINGS_EXTRA}.
 */
package net.aegirj.provision.services.drupal;
