package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServerParametersTest {

  @Test
  void acceptsOrdinaryAndExtensionParametersInNameOrder() {
    ServerParameters p = new ServerParameters(Map.of("work_mem", "64MB", "auto_explain.log_min_duration", "1s",
        "log_line_prefix", "%m [%p] 'quoted' "), List.of("hostssl all all 10.0.0.0/8 cert"));
    assertThat(p.sortedParameters().keySet()).containsExactly("auto_explain.log_min_duration", "log_line_prefix",
        "work_mem");
  }

  @ParameterizedTest
  @ValueSource(strings = {"primary_conninfo", "synchronous_standby_names", "port", "listen_addresses", "hot_standby",
      "archive_command", "restore_command", "primary_slot_name", "data_directory", "hba_file", "include"})
  void refusesWhatTheAdapterOwnsNamingTheKey(String name) {
    assertThatThrownBy(() -> new ServerParameters(Map.of(name, "x"), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("postgresql.parameters." + name + " is set by each member's adapter and cannot be set for the cluster");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Work_Mem", "1abc", "work-mem", "", "work mem"})
  void refusesNamesThatAreNotParameterNames(String name) {
    assertThatThrownBy(() -> new ServerParameters(Map.of(name, "1"), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + name + "' is not a parameter name");
  }

  @Test
  void refusesValuesAndLinesThatSpanLines() {
    assertThatThrownBy(() -> new ServerParameters(Map.of("work_mem", "1MB\nport = 1"), List.of()))
        .hasMessage("postgresql.parameters.work_mem must be one line of at most 1024 characters");
    assertThatThrownBy(() -> new ServerParameters(Map.of(), List.of("host all all 0.0.0.0/0 trust\nlocal all all trust")))
        .hasMessageContaining("postgresql.pg_hba:");
    assertThatThrownBy(() -> new ServerParameters(Map.of(), List.of("include_if_exists /etc/other")))
        .hasMessageContaining("includes another file");
    assertThatThrownBy(() -> new ServerParameters(Map.of("wal_level", "minimal"), List.of()))
        .hasMessageContaining("postgresql.parameters.wal_level must be replica or logical");
    assertThatThrownBy(() -> new ServerParameters(Map.of(), List.of("  ")))
        .hasMessage("postgresql.pg_hba: a line is empty");
  }

  @Test
  void permanentSlotsAreKeptInNameOrder() {
    ServerParameters p = ServerParameters.NONE.withSlots(Map.of("orders_cdc", ReplicationSlot.logical("orders", "pgoutput"),
        "archiver", ReplicationSlot.physical()));
    assertThat(p.slots().keySet()).containsExactly("archiver", "orders_cdc");
    assertThat(p).isEqualTo(new ServerParameters(Map.of(), List.of(), Map.of("orders_cdc",
        ReplicationSlot.logical("orders", "pgoutput"), "archiver", ReplicationSlot.physical())));
  }

  @Test
  void refusesSlotsPostgresWouldRefuseOrThatAreTheMembersOwn() {
    assertThatThrownBy(() -> ServerParameters.NONE.withSlots(Map.of("Orders-CDC", ReplicationSlot.physical())))
        .hasMessage("slots: 'Orders-CDC' is not a slot name (lower case letters, digits and '_', at most 63 characters)");
    assertThatThrownBy(() -> ServerParameters.NONE.withSlots(Map.of("rf_pg1", ReplicationSlot.physical())))
        .hasMessage("slots.rf_pg1: names starting with rf_ are the members' own slots, kept by the adapter");
    assertThatThrownBy(() -> ServerParameters.NONE.withSlots(Map.of("cdc", new ReplicationSlot(
        ReplicationSlot.Type.LOGICAL, java.util.Optional.of("orders"), java.util.Optional.empty()))))
        .hasMessage("slots.cdc: a logical slot needs database and plugin");
    assertThatThrownBy(() -> ServerParameters.NONE.withSlots(Map.of("cdc", ReplicationSlot.logical("orders", "pg output"))))
        .hasMessage("slots.cdc: 'pg output' is not a database or plugin name");
    assertThatThrownBy(() -> ServerParameters.NONE.withSlots(Map.of("a", new ReplicationSlot(
        ReplicationSlot.Type.PHYSICAL, java.util.Optional.of("orders"), java.util.Optional.empty()))))
        .hasMessage("slots.a: a physical slot has no database or plugin");
    assertThatThrownBy(() -> ServerParameters.NONE.withSlots(Map.of("x".repeat(64), ReplicationSlot.physical())))
        .hasMessageContaining("is not a slot name");
  }
}
