/**
 * The front door of Provision for Java: {@link net.aegirj.provision.core.Provision} and the
 * handles its verbs return, and the default file repository.
 */
package net.aegirj.provision.core;
