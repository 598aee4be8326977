#!/usr/bin/env bash
# Installs what the test suite and the demo need when it is missing: a JDK 17+ and Maven to build,
# PostgreSQL server binaries (run by the tests as the non-root 'postgres' user), HAProxy, PgBouncer,
# PgPool-II, pgBackRest and the network tools the chaos tests use. Needs root for apt-get; as another
# user it only reports.
set -euo pipefail

missing=()
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ -x /usr/sbin/pgpool ] || missing+=(pgpool2)
command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]} (run as root, or install them with your package manager)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster of its own; the tests start their own servers, so stop it.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
    pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
  done
fi
# So does PgBouncer's: the tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pgbouncer 2>/dev/null; then
  systemctl stop pgbouncer >/dev/null 2>&1 || true
fi
# And PgPool-II's: the tests run their own pgpool as a non-root user on loopback ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pgpool2 2>/dev/null; then
  systemctl stop pgpool2 >/dev/null 2>&1 || true
  systemctl disable pgpool2 >/dev/null 2>&1 || true
fi
