package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code psql} that drives PgBouncer's admin console runs, like every PostgreSQL tool the
 * agent starts, with a scrubbed environment: the agent's own (which may hold the API password, or
 * any other secret its service manager gave it) never reaches it. A stand-in {@code psql} records
 * what it was given.
 */
class PgBouncerEnvironmentTest {
  @TempDir Path dir;

  @Test
  void psqlForTheAdminConsoleGetsNoneOfTheAgentsEnvironment() throws Exception {
    Path seen = dir.resolve("environment.txt");
    Path psql = Files.writeString(dir.resolve("psql"), "#!/bin/sh\nenv > '" + seen + "'\n");
    Files.setPosixFilePermissions(psql, PosixFilePermissions.fromString("rwx------"));
    PgBouncer bouncer = new PgBouncer(new PgBouncer.Config("127.0.0.1", 6432, "admin", "admin-pw",
        dir.resolve("databases.ini"), Map.of("orders", "dbname=orders"), Duration.ofSeconds(10), psql.toString()));
    assertThat(bouncer.retarget("127.0.0.1", 5432)).isTrue();
    Set<String> given = new HashSet<>();
    for (String line : Files.readAllLines(seen)) {
      given.add(line.substring(0, Math.max(0, line.indexOf('='))));
    }
    assertThat(given).contains("PGPASSWORD");
    Set<String> agents = new HashSet<>(System.getenv().keySet());
    // What the scrubbed environment keeps or sets, and what the shell itself defines.
    agents.removeAll(Set.of("PATH", "TZ", "LANG", "LC_ALL", "PWD", "OLDPWD", "SHLVL", "_"));
    assertThat(agents).as("the test needs the agent to have some environment").isNotEmpty();
    assertThat(given).doesNotContainAnyElementsOf(agents);
  }
}
