/**
 * The dns service types: {@link Bind} ({@code bind}), a BIND 9
 * master for the sites' zones. Zone files are rendered from {@code templates/zone.db} beside these
 * classes, which the server's {@code <dns_template_dir>/zone.db} overrides.
 */
package net.aegirj.provision.services.dns;
