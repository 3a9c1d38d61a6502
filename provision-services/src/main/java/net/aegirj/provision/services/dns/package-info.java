/**
 * The dns service types: {@link net.aegirj.provision.services.dns.Bind} ({@code bind}), a BIND 9
 * master for the sites' zones.
 */
package net.aegirj.provision.services.dns;
