/**
 * What repository and service authors implement: {@link ContextRepository} stores contexts with
 * optimistic versioning, and a repository that several machines share offers {@link TaskLocks} so
 * that they never run two tasks on one context at once.
 */
package net.aegirj.provision.spi;
