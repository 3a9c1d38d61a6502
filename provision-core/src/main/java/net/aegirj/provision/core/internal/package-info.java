/** Implementation details of provision-core; no user needs to import these. */
package net.aegirj.provision.core.internal;
