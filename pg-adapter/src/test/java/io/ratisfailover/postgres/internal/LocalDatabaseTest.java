package io.ratisfailover.postgres.internal;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.testing.PgSandbox;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LocalDatabaseTest {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  /**
   * The pool's very first connection breaks while the pool asks it for its isolation level, as when
   * the server is stopped at that moment; later connections must work (chaos seed 740956: the pool
   * never handed out a connection again, and the member never followed the new primary).
   */
  @Test
  void aFirstConnectionThatBreaksDuringSetupDoesNotSpoilThePool() throws Exception {
    PostgresConfig config = pg.config(pg.copyOfTemplate("pg1")).build();
    PostgresAdapter adapter = pg.adapter("pg1", config);
    adapter.startPrimary(topology(1));
    try (LocalDatabase db = new LocalDatabase(MemberId.of("pg1"), config, Optional.of(new BreaksFirstSetup(config)))) {
      for (int i = 0; i < 3; i++) {
        assertThat(db.call("select 1", Duration.ofSeconds(10), LocalDatabaseTest::one)).isEqualTo(1);
      }
    }
  }

  private static int one(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Real connections to the server, the first of which fails its isolation-level query as a closed one does. */
  private static final class BreaksFirstSetup implements DataSource {
    private final PostgresConfig config;
    private final AtomicBoolean broken = new AtomicBoolean();

    BreaksFirstSetup(PostgresConfig config) {
      this.config = config;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection real = Jdbc.open(config.localHost(), config.port(), LocalDatabase.properties(config));
      if (broken.getAndSet(true)) {
        return real;
      }
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          (proxy, method, args) -> {
            if (method.getName().equals("getTransactionIsolation")) {
              real.close();
              throw new SQLException("This connection has been closed.", "08003");
            }
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
