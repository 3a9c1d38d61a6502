package net.aegirj.provision.services.ssl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfSignedCertificateTest {
  @Test
  void theJdkAcceptsTheCertificateAndItsKeyMatches() throws Exception {
    SelfSignedCertificate c = SelfSignedCertificate.generate("a.example.com", List.of("www.a.example.com"),
        Duration.ofDays(365));
    X509Certificate x = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(c.certificatePem().getBytes(StandardCharsets.US_ASCII)));
    x.checkValidity();
    x.verify(x.getPublicKey());
    assertThat(x.getSubjectX500Principal().getName()).as("subject CN is the domain").isEqualTo("CN=a.example.com");
    assertThat(x.getVersion()).as("X.509 v3").isEqualTo(3);
    assertThat(x.getSubjectAlternativeNames()).as("domain and aliases as DNS names")
        .extracting(l -> (Object) l.get(1)).containsExactly("a.example.com", "www.a.example.com");
    String b64 = c.privateKeyPem().replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    s.initVerify(x.getPublicKey());
    s.update(new byte[] {1, 2, 3});
    assertThat(s.verify(sig)).as("the key belongs to the certificate").isTrue();
    assertThat(c.toString()).as("toString never shows the key").doesNotContain("PRIVATE");
  }
}
