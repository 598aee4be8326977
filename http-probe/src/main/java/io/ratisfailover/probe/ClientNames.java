package io.ratisfailover.probe;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** The names a client certificate stands for: its subject's common name and its alternative names. */
final class ClientNames {
  /** Subject alternative name types (RFC 5280): rfc822Name, dNSName, uniformResourceIdentifier, iPAddress. */
  private static final Set<Integer> TEXT_TYPES = Set.of(1, 2, 6, 7);

  private ClientNames() {}

  static Set<String> of(X509Certificate certificate) {
    Set<String> names = new HashSet<>();
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          names.add(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException e) {
      // A subject the JDK itself produced but cannot parse back: no common name to offer.
    }
    try {
      Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> entry : alternatives) {
          if (entry.size() >= 2 && TEXT_TYPES.contains(entry.get(0)) && entry.get(1) instanceof String value) {
            names.add(value);
          }
        }
      }
    } catch (CertificateParsingException e) {
      // An unparsable extension names nobody; the common name still counts.
    }
    return names;
  }
}
