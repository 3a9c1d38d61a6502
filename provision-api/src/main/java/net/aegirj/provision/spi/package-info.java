/**
 * What repository and service authors implement: {@link net.aegirj.provision.spi.ContextRepository}
 * stores contexts with optimistic versioning.
 */
package net.aegirj.provision.spi;
