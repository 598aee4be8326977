package io.ratisfailover.probe;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The probe uses core's API and SPI only, and Netty (Ratis's shaded copy, so that a process has one
 * Netty), Jackson, the Prometheus model and SLF4J (docs/design.md §2, the module map).
 */
@AnalyzeClasses(packages = "io.ratisfailover.probe", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  @ArchTest
  static final ArchRule noInternals = noClasses().should().dependOnClassesThat(
      // Ratis's shaded Netty is the probe's Netty; Ratis itself and its other shaded libraries stay out.
      resideInAnyPackage("io.ratisfailover.internal..", "org.apache.ratis..")
          .and(not(resideInAPackage("org.apache.ratis.thirdparty.io.netty.."))))
      .because("the probe reads the member through ClusterMember, never through core's internals");

  @ArchTest
  static final ArchRule onlyTheLibrariesWeChose = classes().should().onlyDependOnClassesThat()
      .resideInAnyPackage("io.ratisfailover", "io.ratisfailover.spi", "io.ratisfailover.probe..",
          "org.apache.ratis.thirdparty.io.netty..", "com.fasterxml.jackson..", "io.prometheus.metrics..", "org.slf4j..",
          "java..", "javax.net.ssl..",
          // the JDK's own parsers of a client certificate's subject name, and the exception they throw
          // (ArchUnit 1.5 counts caught types as dependencies too)
          "javax.security.auth.x500..", "javax.naming.ldap..", "javax.naming")
      .because("http-probe depends on core's API and SPI, Ratis's shaded Netty, Jackson, the Prometheus model and SLF4J only");
}
