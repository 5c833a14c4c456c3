#pragma once
// Test helpers: fixture paths, a scratch folder per test, running the hotref
// binary and capturing its exit code, stdout and stderr.

#include "store/copy.hpp"
#include "store/postgres.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "util/sha256.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

namespace hotref::test {

inline std::string data(const std::string& rel) {
    return std::string{HOTREF_TEST_DATA} + "/" + rel;
}

inline std::string geodata(const std::string& rel) {
    return std::string{HOTREF_GEODATA} + "/" + rel;
}

/// The PostgreSQL server the store suites also run on (tests/pg_suite.sh sets it): the URL of
/// its maintenance database, or empty when the suites run on SpatiaLite only.
inline std::string pg_server() {
    const char* v = std::getenv("HOTREF_TEST_PG");
    return v == nullptr ? std::string{} : std::string{v};
}

/// Whether the suites run on PostgreSQL (tests/pg_suite.sh) instead of SpatiaLite files.
inline bool on_postgres() {
    return !pg_server().empty();
}

/// The URL of database `name` on the server `base` (a postgresql:///DB?... URL).
inline std::string pg_database_url(const std::string& base, const std::string& name) {
    const auto slash = base.find(":///");
    const auto q = base.find('?');
    return base.substr(0, slash + 4) + name + (q == std::string::npos ? std::string{} : base.substr(q));
}

/// "ok" when the store at `store` is whole: SQLite's integrity_check; on PostgreSQL (whose
/// server keeps its own pages whole) the GiST index of locations agreeing with the table.
inline std::string store_integrity(const std::string& store) {
    store::Database db{store, store::OpenMode::read_only};
    if (db.postgres()) {
        return db.query_int("SELECT count(*) FROM location WHERE geom && ST_MakeEnvelope(-1000000, -1000000, "
                            "2000000, 2000000, 27700)") == db.query_int("SELECT count(*) FROM location")
                   ? "ok"
                   : "location index and table disagree";
    }
    store::Statement check{db, "PRAGMA integrity_check"};
    return check.step() ? check.column_text(0) : "no answer";
}

/// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "hotref-test-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
        if (!m_database.empty()) {
            try {
                hotref::store::pg::Connection admin{pg_server(), "test server"};
                admin.exec("DROP DATABASE IF EXISTS " + m_database + " WITH (FORCE)");
            } catch (...) { // NOLINT(bugprone-empty-catch): a database left behind goes with the server
            }
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::string file(const std::string& name) const { return (m_path / name).string(); }
    /// Where the test's store lives: s.sqlite in this folder, or, when the suites run on
    /// PostgreSQL (HOTREF_TEST_PG), a fresh database of that server (PostGIS already in it,
    /// from the template database hotref_template), dropped at the end of the test.
    [[nodiscard]] std::string store() const {
        const auto server = pg_server();
        if (server.empty()) {
            return file("s.sqlite");
        }
        if (m_database.empty()) {
            static std::atomic<int> serial{0};
            const std::string name =
                "t" + std::to_string(::getpid()) + "_" + std::to_string(serial.fetch_add(1) + 1);
            hotref::store::pg::Connection admin{server, "test server"};
            admin.exec("CREATE DATABASE " + name + " TEMPLATE hotref_template");
            m_database = name;
        }
        return pg_database_url(server, m_database);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
    mutable std::string m_database;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::binary};
    out << text;
}

struct RunResult {
    int code = -1;
    std::string out;
    std::string err;
};

/// Runs `hotref ARGS` (ARGS already shell-quoted) and captures everything.
inline RunResult run_hotref(const std::string& args) {
    TempDir tmp;
    const std::string out = tmp.file("stdout");
    const std::string err = tmp.file("stderr");
    const std::string cmd = "HOTREF_NO_PROGRESS=1 '" + std::string{HOTREF_BINARY} + "' " + args + " >'" + out +
                            "' 2>'" + err + "' </dev/null";
    const int status = std::system(cmd.c_str());
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Every row of every table, engine-neutral: columns by name, doubles in full, geometries as
// WKB, SpatiaLite's 32-byte Crime IDs as the hex PostgreSQL keeps; rows sorted as text (the
// engines' text orders differ).
// `tables` empty: every table of the store; `skip`: columns left out (those that differ
// between two runs of the same computation: when and how long).
inline std::map<std::string, std::vector<std::string>> fingerprint(hotref::store::Store& store,
                                                            std::vector<std::string> tables = {},
                                                            const std::vector<std::string>& skip = {}) {
    auto& db = store::connection(store);
    std::map<std::string, std::vector<std::string>> out;
    if (tables.empty()) {
        tables = store::store_tables();
    }
    for (const auto& table : tables) {
        std::vector<std::string> names;
        {
            store::Statement probe{db, "SELECT * FROM " + table + " LIMIT 1"};
            probe.step();
            for (int c = 0; c < probe.column_count(); ++c) {
                if (std::find(skip.begin(), skip.end(), probe.column_name(c)) == skip.end()) {
                    names.push_back(probe.column_name(c));
                }
            }
        }
        std::sort(names.begin(), names.end());
        std::string list;
        for (const auto& n : names) {
            const bool geom = n == "geom" || n == "area_geom";
            list += (list.empty() ? "" : ", ") + (geom ? "AsBinary(" + n + ")" : n);
        }
        store::Statement st{db, "SELECT " + list + " FROM " + table};
        auto& rows = out[table];
        char buf[40];
        while (st.step()) {
            std::string row;
            for (int c = 0; c < st.column_count(); ++c) {
                row += names[static_cast<std::size_t>(c)] + "=";
                switch (st.column_kind(c)) {
                case store::ValueKind::null: row += "NULL"; break;
                case store::ValueKind::integer: row += std::to_string(st.column_int(c)); break;
                case store::ValueKind::real:
                    std::snprintf(buf, sizeof buf, "%.17g", st.column_double(c));
                    row += buf;
                    break;
                case store::ValueKind::text: row += st.column_text(c); break;
                case store::ValueKind::blob: row += "x" + hex(st.column_blob(c)); break;
                }
                if (names[static_cast<std::size_t>(c)] == "crime_id" && st.column_kind(c) == store::ValueKind::blob) {
                    row.replace(row.rfind("=x") + 1, 1, ""); // the same ID as PostgreSQL's text
                }
                row += "|";
            }
            rows.push_back(row);
        }
        std::sort(rows.begin(), rows.end());
    }
    return out;
}

inline void check_same(const std::map<std::string, std::vector<std::string>>& a,
                const std::map<std::string, std::vector<std::string>>& b) {
    REQUIRE(a.size() == b.size());
    for (const auto& entry : a) {
        const auto& table = entry.first;
        const auto& rows = entry.second;
        CAPTURE(table);
        const auto& other = b.at(table);
        REQUIRE(rows.size() == other.size());
        std::size_t differ = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (rows[i] != other[i] && differ++ < 3) {
                CHECK(rows[i] == other[i]);
            }
        }
        CHECK(differ == 0);
    }
}

} // namespace hotref::test
