#!/bin/sh
# Runs once, when the postgres container starts on an empty data volume
# (/docker-entrypoint-initdb.d). Creates the service's two roles and its database:
# - the owner (AAM_DB_OWNER): owns the database, so `aam migrate` (AAM_MIGRATE_DATABASE_URL)
#   creates and owns the schema; used only by the migrate service and the operator commands;
# - the application role (AAM_DB_USER): what the API logs in as (DATABASE_URL); it owns nothing,
#   and `aam migrate` grants it DML only, so it can neither ALTER a table nor lift a policy.
# Neither is a superuser or has BYPASSRLS: row-level security must bind them (a superuser would
# bypass every policy).
set -eu
: "${AAM_DB_USER:?set AAM_DB_USER}" "${AAM_DB_PASSWORD:?set AAM_DB_PASSWORD}" "${AAM_DB_NAME:?set AAM_DB_NAME}"
: "${AAM_DB_OWNER:?set AAM_DB_OWNER}" "${AAM_DB_OWNER_PASSWORD:?set AAM_DB_OWNER_PASSWORD}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v app_user="$AAM_DB_USER" -v app_password="$AAM_DB_PASSWORD" -v app_db="$AAM_DB_NAME" \
  -v owner_user="$AAM_DB_OWNER" -v owner_password="$AAM_DB_OWNER_PASSWORD" <<'SQL'
CREATE ROLE :"owner_user" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"owner_user";
SQL
echo "initdb: created roles $AAM_DB_OWNER (owns database $AAM_DB_NAME) and $AAM_DB_USER (the API's; owns nothing), neither superuser nor BYPASSRLS"
