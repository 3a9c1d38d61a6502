/**
 * The values of Provision for Java: named contexts ({@link net.aegirj.provision.api.Server},
 * {@link net.aegirj.provision.api.Platform}, {@link net.aegirj.provision.api.Site}), their names and
 * property schema, and the exception hierarchy rooted at
 * {@link net.aegirj.provision.api.ProvisionException}. This package performs no I/O.
 */
@ProvisionStyle
package net.aegirj.provision.api;
