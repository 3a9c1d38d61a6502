/**
 * Aegir's http service family: {@code apache}, {@code apache_ssl}, {@code nginx} and
 * {@code nginx_ssl}. Each writes the server file, the platform and site configuration from
 * templates an operator can override per server, tests the configuration before it reloads, and
 * reloads at most once per task.
 */
package net.aegirj.provision.services.http;
