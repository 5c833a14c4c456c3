#pragma once
// The store's schema in PostgreSQL/PostGIS types (docs/deployment.md#postgresql): the same
// tables, columns and constraints as the SpatiaLite schema at store::schema_version, made
// in one step, and the SQL functions that let the repositories' SQL run on both engines.

namespace hotref::store {

/// Creates PostGIS (when missing) and every table, view and function of the current schema.
extern const char* const postgres_schema_sql;

} // namespace hotref::store
