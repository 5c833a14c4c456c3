#pragma once
// The store's database connection, wrapped: SQLite (sqlite3.h is included only in
// sqlite.cpp) or PostgreSQL (postgres.hpp) when the location is a postgresql:// URL. An
// owning connection, prepared statements with typed binds and columns, and a transaction
// guard that rolls back unless committed. Both engines take the same SQL (postgres.hpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace hotref::store {

namespace pg {
class Connection;
class Query;
} // namespace pg

/// The engine behind a store.
enum class Engine { sqlite, postgres };

/// The type of a column's value in the current row (SQLite's storage classes; PostgreSQL's
/// column types mapped onto them: integers and booleans, floating point, bytea, the rest text).
enum class ValueKind { null, integer, real, text, blob };

class Database;
class Store;

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binds are 1-based, like SQLite's.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    /// Text; an empty view binds SQL NULL when `empty_is_null`.
    Statement& bind(int index, std::string_view value, bool empty_is_null = false);
    Statement& bind(int index, const char* value) { return bind(index, std::string_view{value}); }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view{value}); }
    Statement& bind_null(int index);
    Statement& bind_blob(int index, const void* data, std::size_t size);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }

    /// Steps once: true when a row is available.
    bool step();
    /// Steps to completion (for statements returning no rows) and resets.
    void run();
    void reset();

    [[nodiscard]] std::int64_t column_int(int col) const;
    [[nodiscard]] double column_double(int col) const;
    [[nodiscard]] std::string column_text(int col) const;
    [[nodiscard]] std::string column_blob(int col) const;
    [[nodiscard]] bool column_is_null(int col) const;
    [[nodiscard]] ValueKind column_kind(int col) const;
    [[nodiscard]] int column_count() const;
    [[nodiscard]] std::string column_name(int col) const;

private:
    Database* m_db;
    sqlite3_stmt* m_stmt;
    std::unique_ptr<pg::Query> m_pg;
};

/// How a database is opened: a reader never writes (not even the -shm of a WAL
/// store when the folder is read-only: it then opens the file as immutable).
enum class OpenMode { read_only, read_write, create };

class Database {
public:
    /// Opens (creating when `create` is true) the database at `path`.
    Database(const std::string& path, bool create);
    Database(const std::string& path, OpenMode mode);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs one or more statements that return no rows.
    void exec(std::string_view sql);
    /// Runs a query returning a single integer (0 when no row).
    std::int64_t query_int(std::string_view sql);
    /// Loads mod_spatialite; throws StoreError with what to install when missing.
    /// Sets the busy timeout again afterwards (SpatiaLite's initialisation resets it).
    void load_spatialite();
    /// Whether the connection cannot write (opened read-only, or the file or its mount is).
    [[nodiscard]] bool read_only() const;
    /// "disk full ..." / "no space ..." when the last failure was a full disk or a file size limit, else empty.
    [[nodiscard]] std::string space_failure() const;
    /// How long a writer waits for another writer's lock.
    static constexpr int busy_timeout_ms = 30000;

    [[nodiscard]] std::int64_t last_insert_rowid() const;
    [[nodiscard]] std::int64_t changes() const;
    [[nodiscard]] std::string error_message() const;
    [[nodiscard]] const std::string& path() const noexcept { return m_path; }
    [[nodiscard]] sqlite3* handle() const noexcept { return m_db; }
    [[nodiscard]] Engine engine() const noexcept { return m_pg ? Engine::postgres : Engine::sqlite; }
    [[nodiscard]] bool postgres() const noexcept { return m_pg != nullptr; }
    /// The PostgreSQL connection (postgres() only).
    [[nodiscard]] pg::Connection& pg() const;
    /// Whether a table (or view) of this name exists.
    bool has_table(std::string_view name);

    /// While set, `stop` is asked every few thousand SQLite steps (PostgreSQL: every 20 ms,
    /// from a watcher thread that then cancels the server's statement); once it says true,
    /// the statement running fails (StoreError), so the transaction around it rolls back.
    /// For cancelling a long write from another thread. An empty function clears it.
    void set_interrupt(std::function<bool()> stop);

private:
    void open(int flags, const std::string& name);

    std::string m_path;
    sqlite3* m_db = nullptr;
    std::unique_ptr<std::function<bool()>> m_interrupt;
    std::unique_ptr<pg::Connection> m_pg;
};

/// Whether the file at `path` (if it exists) and its folder can be written (a PostgreSQL
/// URL: true; the server decides by the role's privileges).
bool writable(const std::string& path);
/// Whether there may be a store at `location`: the file exists, or it is a PostgreSQL URL
/// (whose database is asked when the store is opened).
bool may_exist(const std::string& location);

/// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit()ed.
class Transaction {
public:
    explicit Transaction(Database& db);
    /// On the store's connection (store.hpp).
    explicit Transaction(Store& store);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& m_db;
    bool m_done = false;
};

} // namespace hotref::store
