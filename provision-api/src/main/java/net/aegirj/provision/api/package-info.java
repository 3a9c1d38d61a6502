/**
 * The values of Provision for Java: named contexts ({@link Server}, {@link Platform},
 * {@link Site}), their names and property schema, and the exception hierarchy rooted at
 * {@link ProvisionException}. This package performs no I/O.
 */
@ProvisionStyle
package net.aegirj.provision.api;
