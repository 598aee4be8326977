package io.ratisfailover.ctl;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * rfctl talks to the members over their HTTP API, and to PostgreSQL through JDBC for {@code query}
 * only: it must stay a small client that runs on any operator's machine, without Ratis or the
 * harness on its class path (the enforcer's bannedDependencies keeps the project's modules out of
 * its pom; this keeps the code honest, pgjdbc included: it is reached through java.sql).
 */
@AnalyzeClasses(packages = "io.ratisfailover.ctl", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  @ArchTest
  static final ArchRule onlyTheHttpApiAndItsLibraries = classes().should().onlyDependOnClassesThat()
      .resideInAnyPackage("io.ratisfailover.ctl..", "picocli..", "com.fasterxml.jackson..", "java..", "javax.net.ssl..")
      .because("rfctl depends on picocli, Jackson and the JDK only");
}
