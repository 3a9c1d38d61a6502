/**
 * What repository and service authors implement: {@link net.aegirj.provision.spi.ContextRepository}
 * stores contexts with optimistic versioning, and a repository that several machines share offers
 * {@link net.aegirj.provision.spi.TaskLocks} so that they never run two tasks on one context at once.
 */
package net.aegirj.provision.spi;
