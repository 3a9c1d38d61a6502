/**
 * Drupal support: code base detection on platforms, site directories with Aegir's modes, the
 * settings file for the detected major version, install by profile or manual, client links.
 */
package net.aegirj.provision.services.drupal;
