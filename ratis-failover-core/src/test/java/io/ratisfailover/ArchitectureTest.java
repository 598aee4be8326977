package io.ratisfailover;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Keeps the house's shape (docs/design.md §2, the module map). */
@AnalyzeClasses(packages = "io.ratisfailover", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  @ArchTest
  static final ArchRule coreHasNoJdbcHttpOrPostgres = noClasses().should().dependOnClassesThat()
      .resideInAnyPackage("java.sql..", "javax.sql..", "org.postgresql..", "com.zaxxer..", "io.netty..",
          "org.apache.ratis.thirdparty.io.netty..")
      .because("core is database- and transport-agnostic: adapters live in their own modules");

  @ArchTest
  static final ArchRule spiDependsOnApiOnly = noClasses().that().resideInAPackage("io.ratisfailover.spi..")
      .should().dependOnClassesThat().resideInAnyPackage("io.ratisfailover.internal..", "org.apache.ratis..")
      .because("adapters implement the SPI without knowing the internals");

  @ArchTest
  static final ArchRule theReplicatedStateKnowsNoRaftAndNoClock = noClasses()
      .that().resideInAPackage("io.ratisfailover.internal.state..")
      .should().dependOnClassesThat().resideInAnyPackage("org.apache.ratis..", "io.ratisfailover.internal.control..")
      .because("applying a command must be deterministic and independent of the transport");

  @ArchTest
  static final ArchRule decisionsKnowNoRatis = noClasses().that().resideInAPackage("io.ratisfailover.internal.control..")
      .should().dependOnClassesThat().resideInAnyPackage("org.apache.ratis..")
      .because("the agent and arbiter run unchanged in the simulation");
}
