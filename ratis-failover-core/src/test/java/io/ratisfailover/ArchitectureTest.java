package io.ratisfailover;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Keeps the house's shape (docs/design.md §2, the module map). */
@AnalyzeClasses(packages = "io.ratisfailover", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
  /**
   * Ratis, but for the protobuf runtime it bundles: our wire format is generated for that copy (one
   * protobuf per process), so the state's codec uses it, and it is a library, not Raft.
   */
  private static final DescribedPredicate<JavaClass> RAFT = resideInAPackage("org.apache.ratis..")
      .and(not(resideInAPackage("org.apache.ratis.thirdparty.com.google.protobuf..")))
      .as("Ratis (its shaded protobuf aside)");

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
      .should().dependOnClassesThat(RAFT.or(resideInAPackage("io.ratisfailover.internal.control..")))
      .because("applying a command must be deterministic and independent of the transport");

  @ArchTest
  static final ArchRule decisionsKnowNoRatis = noClasses().that().resideInAPackage("io.ratisfailover.internal.control..")
      .should().dependOnClassesThat().resideInAnyPackage("org.apache.ratis..")
      .because("the agent and arbiter run unchanged in the simulation");
}
