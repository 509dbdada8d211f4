#!/usr/bin/env bash
# One-shot job of docker-compose.yml (service temporal-schema, image temporalio/admin-tools): creates Temporal's
# two PostgreSQL databases, `temporal` (persistence) and `temporal_visibility` (SQL visibility), and brings
# each schema to the latest version this admin-tools tag ships, which is the server's (both are
# TEMPORAL_SERVER_VERSION). The Temporal server starts only after this job exited 0.
#
# Every step is idempotent, so the job runs again at each `docker compose up` and, after an image upgrade,
# applies only the new schema versions: `create` ignores an existing database, `setup-schema -v 0.0` only
# creates the version tables (and skips a database already past 0.0), `update-schema` applies the versioned
# steps above the current version.
#
# temporal-sql-tool reads its connection from the environment compose sets: SQL_PLUGIN (postgres12), SQL_HOST,
# SQL_PORT, SQL_USER, SQL_PASSWORD.
set -euo pipefail

: "${SQL_HOST:?}" "${SQL_PORT:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}" "${SQL_PLUGIN:?}"

# The schema files the admin-tools image ships for PostgreSQL 12 and later.
schema_root=/etc/temporal/schema/postgresql/v12

# compose starts this job once PostgreSQL is healthy; the wait only covers a database that restarts right then.
# pg_isready comes with the image's postgresql-client.
for attempt in $(seq 1 30); do
	if pg_isready -q -h "$SQL_HOST" -p "$SQL_PORT" -U "$SQL_USER"; then
		break
	fi
	echo "setup-schema: waiting for PostgreSQL at $SQL_HOST:$SQL_PORT (attempt $attempt of 30)"
	sleep 2
done

setup_database() { # database versioned-schema-dir
	local db="$1" dir="$2"
	echo "setup-schema: database $db"
	temporal-sql-tool --db "$db" create
	temporal-sql-tool --db "$db" setup-schema -v 0.0
	temporal-sql-tool --db "$db" update-schema -d "$dir"
}

setup_database temporal "$schema_root/temporal/versioned"
setup_database temporal_visibility "$schema_root/visibility/versioned"
echo "setup-schema: done"
