/**
 * The {@code provision} command line: Aegir's {@code provision save}, {@code show} and
 * {@code list}, the tasks ({@code provision verify @name}, {@code provision @name verify},
 * {@code provision provision-verify @name}, a batch {@code provision verify @a @b}) and
 * {@code provision plan @name <task>}, over the {@link Provision} facade. {@link Main} is the
 * entry point and documents the syntax, the exit statuses and the {@code --json} output.
 */
package net.aegirj.provision.cli;

import net.aegirj.provision.core.Provision;
