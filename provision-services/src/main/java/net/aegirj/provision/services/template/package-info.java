/**
 * A small logic-less template language for configuration files, in the spirit of Mustache:
 * {@code {{name}}} inserts a value, {@code {{#name}}…{{/name}}} repeats a block for each element of
 * a list (or shows it when a value is true or present), {@code {{^name}}…{{/name}}} shows a block
 * when a value is false, absent or empty, and {@code {{.}}} is the current list element. Values are
 * inserted verbatim: callers validate every value for the target file's grammar first.
 *
 * <p>Every file Provision generates goes through {@link Templates},
 * which loads a template from the class path ({@code templates/} beside the service) unless the
 * server names an operator directory holding its own copy:
 * <ul>
 *   <li>web server configuration and vhosts: {@code <http_template_dir>/<app>/<name>.conf} on the
 *       web server ({@code app} is {@code nginx} or {@code apache});
 *   <li>a site's Drupal files: {@code <http_template_dir>/drupal/settings.php},
 *       {@code drupal/sites.php} and {@code drupal/drushrc.php} on the site's web server;
 *       settings.php offers the extension point {@code settings.extra} (lines plugins add through
 *       {@code ServiceType.templateLines}, after Provision's settings and before the includes);
 *   <li>zone files: {@code <dns_template_dir>/zone.db} on the bind server.
 * </ul>
 * A broken operator template (unbalanced section, unknown value) fails the task with an
 * {@code InvalidContextException} naming the server, the property and the file, before anything
 * is written. Overrides are read on the machine Provision runs on.
 */
package net.aegirj.provision.services.template;
