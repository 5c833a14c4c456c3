#pragma once
// PostgreSQL, wrapped (libpq-fe.h is included only in postgres.cpp): the second engine
// behind store::Database and store::Statement (sqlite.hpp), selected by a store location
// of the form postgresql://… (docs/deployment.md).
//
// The repositories of src/store write their SQL once, in the dialect both engines share:
// `?` and `?N` parameters (translated here to $N), and the handful of SpatiaLite/SQLite
// function names they use (MakePoint, GeomFromWKB, AsBinary, json_extract, group_concat),
// which the PostgreSQL schema defines as small SQL functions over PostGIS (pg_schema.cpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace hotref::store::pg {

/// Whether a store location names a PostgreSQL database (postgresql:// or postgres://).
bool is_url(std::string_view location) noexcept;

/// The location as it may be shown: the password of a URL replaced by "***".
std::string redacted(std::string_view url);

/// SQL with `?`/`?N` parameters (SQLite's numbering: a bare `?` takes one more than the
/// largest number so far) rewritten with PostgreSQL's $N, numbered densely in the order of
/// the SQLite numbers the text uses. `order[k]` is the SQLite number of $k+1. Quotes,
/// double quotes and -- comments are copied untouched.
std::string translate(std::string_view sql, std::vector<int>& order);

class Connection {
public:
    /// Connects; `shown` is the location for messages (without a password).
    Connection(const std::string& url, std::string shown);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs statements that return no rows (the simple protocol: several at once).
    void exec(std::string_view sql);
    /// Streams `data` (COPY text format: tab-separated, \N for NULL, one row per line)
    /// into `target` ("table (col, …)").
    void copy_in(std::string_view target, std::string_view data);
    /// The value of the sequence last advanced in this session (the id of the last INSERT).
    std::int64_t last_insert_id();
    [[nodiscard]] std::int64_t changes() const noexcept { return m_changes; }
    void set_changes(std::int64_t n) noexcept { m_changes = n; }
    [[nodiscard]] std::string error_message() const;
    /// While set, a watcher thread asks `stop` every 20 ms; once it says true, the statement
    /// running on the server is cancelled (PQcancel), so it fails ("canceling statement due to
    /// user request") and the transaction around it rolls back: a long COPY or query stops
    /// within a fraction of a second, as SQLite's progress handler stops a step. An empty
    /// function stops the watcher and, if it cancelled, ends a transaction left open.
    void set_interrupt(std::function<bool()> stop);
    /// Throws StoreError ("interrupted") when the interrupt condition holds: asked before each
    /// statement, so work between statements (parsing a file before its COPY) stops too.
    /// A ROLLBACK is never refused (`rollback`).
    void check_interrupt(std::string_view what, bool rollback = false) const;
    [[nodiscard]] pg_conn* handle() const noexcept { return m_conn; }
    [[nodiscard]] const std::string& shown() const noexcept { return m_shown; }

private:
    struct Watcher;

    pg_conn* m_conn = nullptr;
    std::string m_shown;
    std::int64_t m_changes = 0;
    std::unique_ptr<Watcher> m_watcher;
};

/// One prepared text of SQL with its parameters and, once run, its rows.
class Query {
public:
    Query(Connection& conn, std::string_view sql);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    /// Parameter `index` (SQLite's 1-based number); nullopt is NULL.
    void bind(int index, std::optional<std::string> value);
    /// bytea, sent in PostgreSQL's hex form.
    void bind_bytes(int index, const void* data, std::size_t size);
    bool step();
    /// Forgets the rows and every bound value.
    void reset();

    [[nodiscard]] bool is_null(int col) const;
    [[nodiscard]] std::string_view text(int col) const;
    /// Column `col` as bytes: bytea decoded from its hex form, anything else as its text.
    [[nodiscard]] std::string bytes(int col) const;
    /// The column's PostgreSQL type OID (20 int8, 701 float8, 17 bytea, 25 text, ...).
    [[nodiscard]] unsigned type_oid(int col) const;
    [[nodiscard]] int column_count() const;
    [[nodiscard]] std::string column_name(int col) const;
    [[nodiscard]] const std::string& sql() const noexcept { return m_sql; }

private:
    void run();
    void clear_result();

    Connection& m_conn;
    std::string m_sql;
    std::vector<int> m_order;                      // SQLite number of each $N
    std::vector<std::optional<std::string>> m_values; // by SQLite number - 1
    pg_result* m_result = nullptr;
    int m_row = -1;
    int m_rows = 0;
};

} // namespace hotref::store::pg
