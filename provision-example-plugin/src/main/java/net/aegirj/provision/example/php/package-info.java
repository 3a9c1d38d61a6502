/**
 * An example third-party plugin for Provision for Java: a {@code php} service with one type,
 * {@code versions}, built against {@code provision-api} alone and found by {@link ServiceLoader}.
 */
package net.aegirj.provision.example.php;

import java.util.ServiceLoader;
