/**
 * Test support for Provision: {@link net.aegirj.provision.testkit.ContextRepositoryContract}, the
 * executable definition of the {@link net.aegirj.provision.spi.ContextRepository} contract, an
 * {@link net.aegirj.provision.testkit.InMemoryContextRepository} to test against, and seeded
 * {@link net.aegirj.provision.testkit.Generators} of valid and hostile input.
 */
package net.aegirj.provision.testkit;
