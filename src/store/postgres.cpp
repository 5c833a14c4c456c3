#include "store/postgres.hpp"

#include "core/error.hpp"
#include "util/sha256.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace hotref::store::pg {

bool is_url(std::string_view location) noexcept {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string redacted(std::string_view url) {
    // scheme://user:password@host… → scheme://user:***@host…
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return std::string{url};
    }
    const auto authority_end = url.find_first_of("/?", scheme + 3);
    const auto authority = url.substr(scheme + 3, authority_end == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : authority_end - scheme - 3);
    const auto at = authority.rfind('@');
    std::string out{url};
    if (at != std::string_view::npos) {
        const auto colon = authority.substr(0, at).find(':');
        if (colon != std::string_view::npos) {
            out = std::string{url.substr(0, scheme + 3 + colon + 1)} + "***" +
                  std::string{url.substr(scheme + 3 + at)};
        }
    }
    // A password given as a query parameter (?password=…) is hidden too.
    const auto pw = out.find("password=");
    if (pw != std::string::npos) {
        const auto end = out.find('&', pw);
        out = out.substr(0, pw + 9) + "***" + (end == std::string::npos ? std::string{} : out.substr(end));
    }
    return out;
}

std::string translate(std::string_view sql, std::vector<int>& order) {
    // First pass: the SQLite number of every parameter, in text order.
    struct Use {
        std::size_t begin, end;
        int number;
    };
    std::vector<Use> uses;
    int largest = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (c == '\'' || c == '"') {
            const auto close = sql.find(c, i + 1);
            i = close == std::string_view::npos ? sql.size() : close;
            continue;
        }
        if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const auto eol = sql.find('\n', i);
            i = eol == std::string_view::npos ? sql.size() : eol;
            continue;
        }
        if (c != '?') {
            continue;
        }
        std::size_t j = i + 1;
        int number = 0;
        while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') {
            number = number * 10 + (sql[j] - '0');
            ++j;
        }
        if (j == i + 1) {
            number = largest + 1;
        }
        largest = std::max(largest, number);
        uses.push_back({i, j, number});
        i = j - 1;
    }
    // Dense PostgreSQL numbers in the order of the SQLite numbers used.
    order.clear();
    for (const auto& u : uses) {
        order.push_back(u.number);
    }
    std::sort(order.begin(), order.end());
    order.erase(std::unique(order.begin(), order.end()), order.end());
    std::string out;
    out.reserve(sql.size() + uses.size() * 2);
    std::size_t at = 0;
    for (const auto& u : uses) {
        out.append(sql.substr(at, u.begin - at));
        const auto dense = std::lower_bound(order.begin(), order.end(), u.number) - order.begin() + 1;
        out += '$';
        out += std::to_string(dense);
        at = u.end;
    }
    out.append(sql.substr(at));
    return out;
}

// --- Connection ---------------------------------------------------------------------

Connection::Connection(const std::string& url, std::string shown) : m_shown(std::move(shown)) {
    m_conn = PQconnectdb(url.c_str());
    if (m_conn == nullptr || PQstatus(m_conn) != CONNECTION_OK) {
        std::string msg = m_conn != nullptr ? PQerrorMessage(m_conn) : "out of memory";
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
            msg.pop_back();
        }
        PQfinish(m_conn);
        m_conn = nullptr;
        throw StoreError(m_shown + ": cannot connect to the PostgreSQL store (" + msg +
                         "); check the URL, that the server runs and that the role may log in "
                         "(docs/deployment.md)");
    }
    // Quiet notices ("relation already exists, skipping"), UTC timestamps, and the
    // shortest text that reads back as the same double.
    PQsetNoticeProcessor(m_conn, [](void*, const char*) {}, nullptr);
    exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET extra_float_digits = 1; "
         "SET client_encoding = 'UTF8'");
}

struct Connection::Watcher {
    std::function<bool()> stop;
    PGcancel* cancel = nullptr;
    std::mutex mutex;
    std::condition_variable wake;
    bool end = false;
    bool cancelled = false;
    std::thread thread;

    Watcher(pg_conn* conn, std::function<bool()> s) : stop(std::move(s)), cancel(PQgetCancel(conn)) {
        thread = std::thread{[this] { watch(); }};
    }
    ~Watcher() {
        {
            const std::lock_guard lock{mutex};
            end = true;
        }
        wake.notify_all();
        thread.join();
        PQfreeCancel(cancel);
    }
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    void watch() {
        std::unique_lock lock{mutex};
        while (!end) {
            wake.wait_for(lock, std::chrono::milliseconds(20));
            if (end || cancelled || !stop()) {
                continue;
            }
            // One cancel request; a statement that starts after it is not cancelled, but
            // the caller stops at its next check of the same condition.
            char why[256];
            if (cancel != nullptr && PQcancel(cancel, why, sizeof why) == 1) {
                cancelled = true;
            }
        }
    }
};

Connection::~Connection() {
    m_watcher.reset();
    PQfinish(m_conn);
}

void Connection::set_interrupt(std::function<bool()> stop) {
    bool cancelled = false;
    if (m_watcher) {
        {
            const std::lock_guard lock{m_watcher->mutex};
            cancelled = m_watcher->cancelled;
        }
        m_watcher.reset();
    }
    if (cancelled && PQtransactionStatus(m_conn) != PQTRANS_IDLE) {
        // A cancel that arrived while the guard's ROLLBACK ran may have left it undone.
        PGresult* r = PQexec(m_conn, "ROLLBACK");
        PQclear(r);
    }
    if (stop) {
        m_watcher = std::make_unique<Watcher>(m_conn, std::move(stop));
    }
}

std::string Connection::error_message() const {
    std::string msg = PQerrorMessage(m_conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
    }
    return msg;
}

namespace {

std::string result_error(pg_result* r) {
    std::string msg = r != nullptr ? PQresultErrorMessage(r) : "no result";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
        msg.pop_back();
    }
    return msg;
}

} // namespace

void Connection::check_interrupt(std::string_view what, bool rollback) const {
    if (m_watcher && !rollback && m_watcher->stop()) {
        throw StoreError(m_shown + ": interrupted (" + std::string{what.substr(0, 60)} + " not run)");
    }
}

void Connection::exec(std::string_view sql) {
    check_interrupt(sql, sql.starts_with("ROLLBACK"));
    const std::string text{sql};
    PGresult* r = PQexec(m_conn, text.c_str());
    const auto status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        const std::string msg = r != nullptr ? result_error(r) : error_message();
        PQclear(r);
        throw StoreError(m_shown + ": " + msg + " [in: " + text.substr(0, 80) + "]");
    }
    const char* n = PQcmdTuples(r);
    m_changes = (n != nullptr && *n != '\0') ? std::atoll(n) : 0;
    PQclear(r);
}

void Connection::copy_in(std::string_view target, std::string_view data) {
    const std::string sql = "COPY " + std::string{target} + " FROM STDIN";
    check_interrupt(sql);
    PGresult* r = PQexec(m_conn, sql.c_str());
    if (r == nullptr || PQresultStatus(r) != PGRES_COPY_IN) {
        const std::string msg = r != nullptr ? result_error(r) : error_message();
        PQclear(r);
        throw StoreError(m_shown + ": cannot start " + sql + " (" + msg + ")");
    }
    PQclear(r);
    constexpr std::size_t chunk = 1 << 20;
    for (std::size_t at = 0; at < data.size(); at += chunk) {
        const auto n = std::min(chunk, data.size() - at);
        if (PQputCopyData(m_conn, data.data() + at, static_cast<int>(n)) != 1) {
            throw StoreError(m_shown + ": COPY into " + std::string{target} + " failed (" + error_message() + ")");
        }
    }
    if (PQputCopyEnd(m_conn, nullptr) != 1) {
        throw StoreError(m_shown + ": COPY into " + std::string{target} + " failed (" + error_message() + ")");
    }
    std::string failure;
    while ((r = PQgetResult(m_conn)) != nullptr) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && failure.empty()) {
            failure = result_error(r);
        }
        PQclear(r);
    }
    if (!failure.empty()) {
        throw StoreError(m_shown + ": COPY into " + std::string{target} + " failed (" + failure + ")");
    }
}

std::int64_t Connection::last_insert_id() {
    PGresult* r = PQexec(m_conn, "SELECT lastval()");
    if (r == nullptr || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        const std::string msg = result_error(r);
        PQclear(r);
        throw StoreError(m_shown + ": cannot read the id of the last insert (" + msg + ")");
    }
    const auto id = std::atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return id;
}

// --- Query --------------------------------------------------------------------------

Query::Query(Connection& conn, std::string_view sql) : m_conn(conn) {
    m_sql = translate(sql, m_order); // in the body: m_order is declared after m_sql
    const int largest = m_order.empty() ? 0 : m_order.back();
    m_values.resize(static_cast<std::size_t>(largest));
}

Query::~Query() {
    clear_result();
}

void Query::clear_result() {
    if (m_result != nullptr) {
        PQclear(m_result);
        m_result = nullptr;
    }
    m_row = -1;
    m_rows = 0;
}

void Query::bind(int index, std::optional<std::string> value) {
    if (index < 1) {
        throw StoreError(m_conn.shown() + ": parameter " + std::to_string(index) + " out of range");
    }
    if (m_result != nullptr) {
        clear_result(); // a new binding starts a new execution
    }
    if (static_cast<std::size_t>(index) > m_values.size()) {
        return; // a value the SQL does not use (SQLite accepts it too)
    }
    m_values[static_cast<std::size_t>(index) - 1] = std::move(value);
}

void Query::bind_bytes(int index, const void* data, std::size_t size) {
    bind(index, "\\x" + hex({static_cast<const char*>(data), size}));
}

void Query::run() {
    m_conn.check_interrupt(m_sql);
    std::vector<const char*> values;
    values.reserve(m_order.size());
    for (const int number : m_order) {
        const auto& v = m_values[static_cast<std::size_t>(number) - 1];
        values.push_back(v ? v->c_str() : nullptr);
    }
    m_result = PQexecParams(m_conn.handle(), m_sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0);
    const auto status = m_result != nullptr ? PQresultStatus(m_result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        const std::string msg = m_result != nullptr ? result_error(m_result) : m_conn.error_message();
        clear_result();
        throw StoreError(m_conn.shown() + ": " + msg + " [in: " + m_sql.substr(0, 80) + "]");
    }
    const char* n = PQcmdTuples(m_result);
    m_conn.set_changes((n != nullptr && *n != '\0') ? std::atoll(n) : 0);
    m_rows = status == PGRES_TUPLES_OK ? PQntuples(m_result) : 0;
    m_row = -1;
}

bool Query::step() {
    if (m_result != nullptr && m_row >= m_rows) {
        clear_result(); // stepped past the end before: run again, as SQLite does
    }
    if (m_result == nullptr) {
        run();
    }
    ++m_row;
    return m_row < m_rows;
}

void Query::reset() {
    clear_result();
    std::fill(m_values.begin(), m_values.end(), std::nullopt);
}

bool Query::is_null(int col) const {
    return m_result == nullptr || m_row < 0 || m_row >= m_rows || PQgetisnull(m_result, m_row, col) == 1;
}

std::string_view Query::text(int col) const {
    if (is_null(col)) {
        return {};
    }
    return {PQgetvalue(m_result, m_row, col), static_cast<std::size_t>(PQgetlength(m_result, m_row, col))};
}

std::string Query::bytes(int col) const {
    const auto t = text(col);
    constexpr unsigned bytea_oid = 17;
    if (PQftype(m_result, col) != bytea_oid || !t.starts_with("\\x")) {
        return std::string{t};
    }
    auto nibble = [](char c) -> int {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
    };
    std::string out;
    out.reserve((t.size() - 2) / 2);
    for (std::size_t i = 2; i + 1 < t.size(); i += 2) {
        out += static_cast<char>((nibble(t[i]) << 4) | nibble(t[i + 1]));
    }
    return out;
}

unsigned Query::type_oid(int col) const {
    return m_result != nullptr ? PQftype(m_result, col) : 0;
}

int Query::column_count() const {
    return m_result != nullptr ? PQnfields(m_result) : 0;
}

std::string Query::column_name(int col) const {
    return m_result != nullptr ? PQfname(m_result, col) : std::string{};
}

} // namespace hotref::store::pg
