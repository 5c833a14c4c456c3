#include "store/sqlite.hpp"

#include "core/error.hpp"
#include "store/postgres.hpp"
#include "util/atomic_dir.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <cstdio>

namespace hotref::store {

// --- Database -------------------------------------------------------------------

namespace {

// A file: URI for `path` (RFC 3986 escapes for the characters a URI gives meaning to).
std::string file_uri(const std::string& path, const char* query) {
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            uri += buf;
        } else {
            uri += c;
        }
    }
    return uri + "?" + query;
}

bool is_read_only_code(int extended) {
    return (extended & 0xFF) == SQLITE_READONLY;
}

// The message for a failed call: a read-only store and a full disk are said in words.
std::string failure(const Database& db, const std::string& what) {
    const int extended = sqlite3_extended_errcode(db.handle());
    if (is_read_only_code(extended)) {
        return db.path() + ": the store is read-only (" + what +
               "); this command writes to it: make the file and its folder writable, or use a writable copy "
               "(readers such as 'hotref status' and 'hotref layers' work on a read-only store)";
    }
    const std::string space = db.space_failure();
    if (!space.empty()) {
        return db.path() + ": " + space + " (" + what + "); nothing of this step was stored; free space and run "
               "the command again";
    }
    return db.path() + ": " + what;
}

} // namespace

Database::Database(const std::string& path, bool create)
    : Database(path, create ? OpenMode::create : OpenMode::read_write) {}

Database::Database(const std::string& path, OpenMode mode) : m_path(path) {
    if (pg::is_url(path)) {
        m_path = pg::redacted(path);
        m_pg = std::make_unique<pg::Connection>(path, m_path);
        // A writer waits for another writer as long as SQLite does; a reader cannot write.
        m_pg->exec("SET lock_timeout = '" + std::to_string(busy_timeout_ms) + "ms'");
        if (mode == OpenMode::read_only) {
            m_pg->exec("SET default_transaction_read_only = on");
        }
        return;
    }
    if (mode != OpenMode::read_only) {
        open(SQLITE_OPEN_READWRITE | (mode == OpenMode::create ? SQLITE_OPEN_CREATE : 0), path);
        return;
    }
    open(SQLITE_OPEN_READONLY, path);
    // A WAL store needs its -shm: when the folder is read-only and there is none, read
    // the file as immutable (nothing can write to it there either).
    if (sqlite3_exec(m_db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        open(SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, file_uri(path, "immutable=1"));
    }
}

void Database::open(int flags, const std::string& name) {
    const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close(m_db);
        m_db = nullptr;
        if ((flags & SQLITE_OPEN_CREATE) == 0 && (rc & 0xFF) == SQLITE_CANTOPEN) {
            throw StoreError(m_path + ": no store here (" + msg + "); run 'hotref ingest' first or give --store");
        }
        throw StoreError(m_path + ": cannot open the store (" + msg + ")");
    }
    sqlite3_busy_timeout(m_db, busy_timeout_ms);
    sqlite3_extended_result_codes(m_db, 1);
}

bool may_exist(const std::string& location) {
    std::error_code ec;
    return pg::is_url(location) || std::filesystem::exists(location, ec);
}

bool writable(const std::string& path) {
    if (pg::is_url(path)) {
        return true; // the server decides, by the role's privileges
    }
    const std::filesystem::path file{path};
    const auto folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path{"."};
    std::error_code ec;
    const bool exists = std::filesystem::exists(file, ec);
    return (!exists || ::access(file.c_str(), W_OK) == 0) && ::access(folder.c_str(), W_OK) == 0;
}

bool Database::read_only() const {
    if (m_pg) {
        auto& self = const_cast<Database&>(*this);
        Statement st{self, "SELECT current_setting('default_transaction_read_only')"};
        return st.step() && st.column_text(0) == "on";
    }
    return sqlite3_db_readonly(m_db, "main") == 1;
}

pg::Connection& Database::pg() const {
    if (!m_pg) {
        throw StoreError(m_path + ": not a PostgreSQL store");
    }
    return *m_pg;
}

bool Database::has_table(std::string_view name) {
    Statement st{*this, m_pg ? "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
                               "n.oid = c.relnamespace WHERE c.relname = ? AND n.nspname = current_schema()"
                             : "SELECT count(*) FROM sqlite_master WHERE name = ?"};
    st.bind(1, name);
    return st.step() && st.column_int(0) > 0;
}

std::string Database::space_failure() const {
    if (m_pg) {
        return {}; // the server reports a full disk in its own message
    }
    const int primary = sqlite3_extended_errcode(m_db) & 0xFF;
    if (primary != SQLITE_FULL && primary != SQLITE_IOERR) {
        return {};
    }
    const auto reason = no_space_reason(std::filesystem::path{m_path});
    if (!reason.empty()) {
        return reason.substr(2); // without "; "
    }
    return primary == SQLITE_FULL ? "disk full: no space left on the device holding the store" : std::string{};
}

Database::~Database() {
    if (m_db != nullptr) {
        sqlite3_close_v2(m_db);
    }
}

void Database::exec(std::string_view sql) {
    if (m_pg) {
        m_pg->exec(sql);
        return;
    }
    char* err = nullptr;
    const std::string text{sql};
    if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err != nullptr ? err : "unknown error";
        sqlite3_free(err);
        throw StoreError(failure(*this, msg + " [in: " + text.substr(0, 80) + "]"));
    }
}

std::int64_t Database::query_int(std::string_view sql) {
    Statement st{*this, sql};
    return st.step() ? st.column_int(0) : 0;
}

void Database::load_spatialite() {
    if (m_pg) {
        return; // PostGIS is an extension of the database (the schema creates it)
    }
    sqlite3_enable_load_extension(m_db, 1);
    char* err = nullptr;
    if (sqlite3_load_extension(m_db, "mod_spatialite", nullptr, &err) != SQLITE_OK) {
        std::string msg = err != nullptr ? err : "unknown error";
        sqlite3_free(err);
        throw StoreError("cannot load SpatiaLite (mod_spatialite): " + msg +
                         "; install it with 'apt-get install libsqlite3-mod-spatialite'");
    }
    sqlite3_enable_load_extension(m_db, 0);
    // SpatiaLite's initialisation leaves SQLite's default busy handler of 5 s: set ours again.
    sqlite3_busy_timeout(m_db, busy_timeout_ms);
}

std::int64_t Database::last_insert_rowid() const {
    return m_pg ? m_pg->last_insert_id() : sqlite3_last_insert_rowid(m_db);
}

std::int64_t Database::changes() const {
    return m_pg ? m_pg->changes() : sqlite3_changes(m_db);
}

std::string Database::error_message() const {
    return m_pg ? m_pg->error_message() : std::string{sqlite3_errmsg(m_db)};
}

// --- Statement --------------------------------------------------------------------

Statement::Statement(Database& db, std::string_view sql) : m_db(&db), m_stmt(nullptr) {
    if (db.postgres()) {
        m_pg = std::make_unique<pg::Query>(db.pg(), sql);
        return;
    }
    if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &m_stmt,
                           nullptr) != SQLITE_OK) {
        throw StoreError(db.path() + ": cannot prepare SQL (" + db.error_message() + "): " +
                         std::string{sql.substr(0, 120)});
    }
}

Statement::~Statement() {
    if (m_stmt != nullptr) {
        sqlite3_finalize(m_stmt);
    }
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_stmt(other.m_stmt), m_pg(std::move(other.m_pg)) {
    other.m_stmt = nullptr;
}

namespace {
void check_bind(Database& db, int rc, int index) {
    if (rc != SQLITE_OK) {
        throw StoreError(db.path() + ": cannot bind parameter " + std::to_string(index) + " (" + db.error_message() +
                         ")");
    }
}
} // namespace

Statement& Statement::bind(int index, std::int64_t value) {
    if (m_pg) {
        m_pg->bind(index, std::to_string(value));
        return *this;
    }
    check_bind(*m_db, sqlite3_bind_int64(m_stmt, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (m_pg) {
        if (std::isnan(value)) {
            m_pg->bind(index, std::nullopt); // as SQLite stores a NaN
        } else if (std::isinf(value)) {
            m_pg->bind(index, value > 0 ? "Infinity" : "-Infinity");
        } else {
            char buf[32];
            const auto r = std::to_chars(buf, buf + sizeof buf, value); // shortest text that reads back the same
            m_pg->bind(index, std::string{buf, r.ptr});
        }
        return *this;
    }
    check_bind(*m_db, sqlite3_bind_double(m_stmt, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value, bool empty_is_null) {
    if (empty_is_null && value.empty()) {
        return bind_null(index);
    }
    if (m_pg) {
        if (value.find('\0') != std::string_view::npos) {
            throw StoreError(m_db->path() + ": parameter " + std::to_string(index) +
                             " holds a NUL character, which PostgreSQL text cannot store");
        }
        m_pg->bind(index, std::string{value});
        return *this;
    }
    check_bind(*m_db,
               sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT),
               index);
    return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
    if (m_pg) {
        m_pg->bind_bytes(index, data, size);
        return *this;
    }
    check_bind(*m_db, sqlite3_bind_blob(m_stmt, index, data, static_cast<int>(size), SQLITE_TRANSIENT), index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (m_pg) {
        m_pg->bind(index, std::nullopt);
        return *this;
    }
    check_bind(*m_db, sqlite3_bind_null(m_stmt, index), index);
    return *this;
}

bool Statement::step() {
    if (m_pg) {
        return m_pg->step();
    }
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    const std::string msg = m_db->error_message();
    const std::string text = failure(*m_db, msg + " [in: " + std::string{sqlite3_sql(m_stmt)}.substr(0, 80) + "]");
    sqlite3_reset(m_stmt);
    throw StoreError(text);
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    if (m_pg) {
        m_pg->reset();
        return;
    }
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::column_int(int col) const {
    if (m_pg) {
        const auto t = m_pg->text(col);
        if (t.empty()) {
            return 0;
        }
        if (t == "t" || t == "f") {
            return t == "t" ? 1 : 0;
        }
        std::int64_t v = 0;
        const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
        if (r.ec == std::errc{} && r.ptr == t.data() + t.size()) {
            return v;
        }
        return static_cast<std::int64_t>(std::strtod(std::string{t}.c_str(), nullptr)); // "2.0", as SQLite casts
    }
    return sqlite3_column_int64(m_stmt, col);
}

double Statement::column_double(int col) const {
    if (m_pg) {
        const auto t = m_pg->text(col);
        return t.empty() ? 0.0 : std::strtod(std::string{t}.c_str(), nullptr);
    }
    return sqlite3_column_double(m_stmt, col);
}

std::string Statement::column_text(int col) const {
    if (m_pg) {
        return std::string{m_pg->text(col)};
    }
    const auto* text = sqlite3_column_text(m_stmt, col);
    return text != nullptr ? std::string{reinterpret_cast<const char*>(text),
                                         static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))}
                           : std::string{};
}

std::string Statement::column_blob(int col) const {
    if (m_pg) {
        return m_pg->bytes(col);
    }
    const auto* data = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return data != nullptr ? std::string{data, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))}
                           : std::string{};
}

bool Statement::column_is_null(int col) const {
    if (m_pg) {
        return m_pg->is_null(col);
    }
    return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

ValueKind Statement::column_kind(int col) const {
    if (m_pg) {
        if (m_pg->is_null(col)) {
            return ValueKind::null;
        }
        switch (m_pg->type_oid(col)) {
        case 16: case 20: case 21: case 23: return ValueKind::integer; // bool, int8, int2, int4
        case 700: case 701: return ValueKind::real;                    // float4, float8
        case 17: return ValueKind::blob;                               // bytea
        default: return ValueKind::text;
        }
    }
    switch (sqlite3_column_type(m_stmt, col)) {
    case SQLITE_NULL: return ValueKind::null;
    case SQLITE_INTEGER: return ValueKind::integer;
    case SQLITE_FLOAT: return ValueKind::real;
    case SQLITE_BLOB: return ValueKind::blob;
    default: return ValueKind::text;
    }
}

int Statement::column_count() const {
    if (m_pg) {
        return m_pg->column_count();
    }
    return sqlite3_column_count(m_stmt);
}

std::string Statement::column_name(int col) const {
    if (m_pg) {
        return m_pg->column_name(col);
    }
    return sqlite3_column_name(m_stmt, col);
}

// --- Transaction ------------------------------------------------------------------

// The key of the advisory lock that makes PostgreSQL writers take turns, as SQLite's do
// (BEGIN IMMEDIATE): the lifecycle rules read, decide and write in one transaction.
constexpr std::int64_t writer_lock_key = 0x686f74726566; // "hotref"

Transaction::Transaction(Database& db) : m_db(db) {
    if (m_db.postgres()) {
        m_db.exec("BEGIN");
        try {
            m_db.exec("SELECT pg_advisory_xact_lock(" + std::to_string(writer_lock_key) + ")");
        } catch (...) {
            try {
                m_db.exec("ROLLBACK");
            } catch (...) {
            }
            throw;
        }
        return;
    }
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!m_done) {
        if (m_db.postgres()) {
            try {
                m_db.exec("ROLLBACK");
            } catch (...) { // the connection is gone: the server rolls back
            }
            return;
        }
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_done = true;
}

void Database::set_interrupt(std::function<bool()> stop) {
    if (m_pg) {
        m_pg->set_interrupt(std::move(stop));
        return;
    }
    if (!stop) {
        sqlite3_progress_handler(m_db, 0, nullptr, nullptr);
        m_interrupt.reset();
        return;
    }
    m_interrupt = std::make_unique<std::function<bool()>>(std::move(stop));
    sqlite3_progress_handler(
        m_db, 4000, [](void* p) -> int { return (*static_cast<std::function<bool()>*>(p))() ? 1 : 0; },
        m_interrupt.get());
}

} // namespace hotref::store
