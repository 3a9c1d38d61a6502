/**
 * The front door of Provision for Java: {@link Provision} and the
 * handles its verbs return, and the default file repository.
 */
package net.aegirj.provision.core;
