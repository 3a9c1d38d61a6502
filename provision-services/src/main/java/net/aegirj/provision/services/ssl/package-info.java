/** Certificates for the SSL http types: self-signed certificates made in Java, PEM files. */
package net.aegirj.provision.services.ssl;
