/**
 * The db service type {@code mysql} (MySQL and MariaDB over JDBC): server checks, site databases,
 * users and grants, with every identifier and password validated before it is quoted.
 */
package net.aegirj.provision.services.db;
