package io.ratisfailover;

/**
 * Told about every change of this member's role, on the executor given to the builder. A listener
 * that throws is logged and otherwise ignored; a slow one delays only other listeners.
 */
@FunctionalInterface
public interface RoleListener {
  void roleChanged(RoleChange change);
}
