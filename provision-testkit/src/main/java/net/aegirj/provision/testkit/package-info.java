/**
 * Test support for Provision: {@link ContextRepositoryContract}, the executable definition of the
 * {@link ContextRepository} contract, an {@link InMemoryContextRepository} to test against, and
 * seeded {@link Generators} of valid and hostile input.
 */
package net.aegirj.provision.testkit;

import net.aegirj.provision.spi.ContextRepository;
