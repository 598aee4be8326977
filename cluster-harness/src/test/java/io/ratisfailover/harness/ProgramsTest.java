package io.ratisfailover.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

class ProgramsTest {
  @Test
  void theProgramsTheHarnessStartsAreOnItsClassPathWithAMainMethod() throws ReflectiveOperationException {
    for (String name : new String[] {Programs.SIDECAR, Programs.WITNESS}) {
      Method main = Class.forName(name).getMethod("main", String[].class);
      assertThat(Modifier.isStatic(main.getModifiers())).as(name + ".main is static").isTrue();
    }
  }
}
