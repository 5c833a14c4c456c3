#include "store/sqlite.hpp"

#include "core/error.hpp"

#include <sqlite3.h>

namespace hotref::store {

// --- Database -------------------------------------------------------------------

Database::Database(const std::string& path, bool create) : m_path(path) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close(m_db);
        m_db = nullptr;
        if (!create && rc == SQLITE_CANTOPEN) {
            throw StoreError(path + ": no store here (" + msg + "); run 'hotref ingest' first or give --store");
        }
        throw StoreError(path + ": cannot open the store (" + msg + ")");
    }
    sqlite3_busy_timeout(m_db, 30000);
    sqlite3_extended_result_codes(m_db, 1);
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
        throw StoreError(m_path + ": " + msg + " [in: " + text.substr(0, 80) + "]");
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
    sqlite3_reset(m_stmt);
    throw StoreError(m_db->path() + ": " + msg + " [in: " + std::string{sqlite3_sql(m_stmt)}.substr(0, 80) + "]");
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
