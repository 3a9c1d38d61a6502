/**
 * The hosts that steps work on: {@link LocalHost} for the machine
 * Provision runs on, {@code SshHost} (JSch) for remote servers, and the rule that tells them apart.
 */
package net.aegirj.provision.core.host;
