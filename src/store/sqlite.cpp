#include "store/sqlite.hpp"

#include "core/error.hpp"
#include "util/atomic_dir.hpp"

#include <sqlite3.h>

#include <cerrno>
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

bool writable(const std::string& path) {
    const std::filesystem::path file{path};
    const auto folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path{"."};
    std::error_code ec;
    const bool exists = std::filesystem::exists(file, ec);
    return (!exists || ::access(file.c_str(), W_OK) == 0) && ::access(folder.c_str(), W_OK) == 0;
}

bool Database::read_only() const {
    return sqlite3_db_readonly(m_db, "main") == 1;
}

std::string Database::space_failure() const {
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
    sqlite3_close_v2(m_db);
}

void Database::exec(std::string_view sql) {
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
    return sqlite3_last_insert_rowid(m_db);
}

std::int64_t Database::changes() const {
    return sqlite3_changes(m_db);
}

std::string Database::error_message() const {
    return sqlite3_errmsg(m_db);
}

// --- Statement --------------------------------------------------------------------

Statement::Statement(Database& db, std::string_view sql) : m_db(&db), m_stmt(nullptr) {
    if (sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &m_stmt,
                           nullptr) != SQLITE_OK) {
        throw StoreError(db.path() + ": cannot prepare SQL (" + db.error_message() + "): " +
                         std::string{sql.substr(0, 120)});
    }
}

Statement::~Statement() {
    sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt) {
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
    check_bind(*m_db, sqlite3_bind_int64(m_stmt, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    check_bind(*m_db, sqlite3_bind_double(m_stmt, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value, bool empty_is_null) {
    if (empty_is_null && value.empty()) {
        return bind_null(index);
    }
    check_bind(*m_db,
               sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT),
               index);
    return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
    check_bind(*m_db, sqlite3_bind_blob(m_stmt, index, data, static_cast<int>(size), SQLITE_TRANSIENT), index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(*m_db, sqlite3_bind_null(m_stmt, index), index);
    return *this;
}

bool Statement::step() {
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
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

std::int64_t Statement::column_int(int col) const {
    return sqlite3_column_int64(m_stmt, col);
}

double Statement::column_double(int col) const {
    return sqlite3_column_double(m_stmt, col);
}

std::string Statement::column_text(int col) const {
    const auto* text = sqlite3_column_text(m_stmt, col);
    return text != nullptr ? std::string{reinterpret_cast<const char*>(text),
                                         static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))}
                           : std::string{};
}

std::string Statement::column_blob(int col) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return data != nullptr ? std::string{data, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))}
                           : std::string{};
}

bool Statement::column_is_null(int col) const {
    return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

int Statement::column_count() const {
    return sqlite3_column_count(m_stmt);
}

std::string Statement::column_name(int col) const {
    return sqlite3_column_name(m_stmt, col);
}

// --- Transaction ------------------------------------------------------------------

Transaction::Transaction(Database& db) : m_db(db) {
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!m_done) {
        sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_done = true;
}

void Database::set_interrupt(std::function<bool()> stop) {
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
