#!/bin/sh
# Runs once, when the postgres container starts on an empty data volume
# (/docker-entrypoint-initdb.d). Creates the application role and the database it owns.
# The role is no superuser and has no BYPASSRLS: row-level security must bind it, and a
# superuser would bypass every policy. `aam migrate` (as this role) creates the schema.
set -eu
: "${AAM_DB_USER:?set AAM_DB_USER}" "${AAM_DB_PASSWORD:?set AAM_DB_PASSWORD}" "${AAM_DB_NAME:?set AAM_DB_NAME}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v app_user="$AAM_DB_USER" -v app_password="$AAM_DB_PASSWORD" -v app_db="$AAM_DB_NAME" <<'SQL'
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user";
SQL
echo "initdb: created role $AAM_DB_USER (no superuser, no BYPASSRLS) owning database $AAM_DB_NAME"
