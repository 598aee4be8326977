package io.ratisfailover.internal.control;

import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseException;

/** An operator's command on the local database (restart, reload, reinitialize). */
@FunctionalInterface
interface DatabaseCommand {
  void run(DatabaseAdapter adapter) throws DatabaseException;
}
