// The store is the only code that speaks SQL (docs/store.md#repositories): no file of
// src/ outside src/store holds an SQL statement in a string literal or reaches the
// store's SQLite connection. These tests read the source tree, so that the boundary
// stays where it is when new code is written.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// A statement's start ("SELECT ...", "INSERT INTO", "UPDATE t SET", ...) or a clause of one
// split across literals ("FROM referral r", "WHERE id = ?"): an upper-case keyword before a
// lower-case name, as the store writes its SQL.
const std::regex& sql_pattern() {
    static const std::regex re{
        R"(^\s*(SELECT\s|INSERT\s+(OR\s+[A-Z]+\s+)?INTO\s|REPLACE\s+INTO\s|UPDATE\s+[a-z_]+\s+SET\s|DELETE\s+FROM\s|)"
        R"(CREATE\s+(TABLE|INDEX|UNIQUE|TRIGGER|VIEW|VIRTUAL|TEMP)|ALTER\s+TABLE\s|DROP\s+(TABLE|INDEX|TRIGGER|VIEW)\s|)"
        R"(WITH\s+(RECURSIVE\s+)?[a-z_]+\s*(\(|AS\s)|PRAGMA\s|VACUUM\b|BEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)))"
        R"(|\b(FROM|JOIN)\s+[a-z_]+\b|\bWHERE\s+[a-z_.]+\s*(=|!=|<|>|IN\b|IS\b|LIKE\b)|\bSET\s+[a-z_]+\s*=)"
        R"(|\b(ORDER|GROUP)\s+BY\s+[a-z_])"};
    return re;
}

// What only the store may use: its connection, statements and SQLite itself.
const std::regex& connection_pattern() {
    static const std::regex re{R"(\.db\(\)|\bconnection\(|store::Statement\b|store::Database\b|sqlite3\.h|R"SQL\()"};
    return re;
}

const std::regex& literal_pattern() {
    static const std::regex re{R"("(?:[^"\\\n]|\\.)*")"};
    return re;
}

// "line N: text" for each string literal of `text` that holds SQL.
std::vector<std::string> sql_literals(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (line.find('"') == std::string::npos) {
            continue;
        }
        for (std::sregex_iterator it{line.begin(), line.end(), literal_pattern()}, end; it != end; ++it) {
            const std::string literal = it->str().substr(1, it->length() - 2);
            if (std::regex_search(literal, sql_pattern())) {
                out.push_back("line " + std::to_string(n) + ": " + literal);
            }
        }
    }
    return out;
}

// "line N: text" for each line of `text` that reaches the connection.
std::vector<std::string> connection_uses(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in{text};
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (std::regex_search(line, connection_pattern())) {
            out.push_back("line " + std::to_string(n) + ": " + line);
        }
    }
    return out;
}

// Each C++ file of src/ outside src/store, with its text.
std::vector<std::pair<std::string, std::string>> sources_outside_store() {
    const fs::path src = fs::path{HOTREF_SOURCE_DIR} / "src";
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& e : fs::recursive_directory_iterator{src}) {
        const auto rel = fs::relative(e.path(), src).generic_string();
        const auto ext = e.path().extension();
        if (!e.is_regular_file() || rel.rfind("store/", 0) == 0 || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) {
            continue;
        }
        std::ifstream f{e.path(), std::ios::binary};
        out.emplace_back("src/" + rel, std::string{std::istreambuf_iterator<char>{f}, {}});
    }
    return out;
}

} // namespace

TEST_CASE("store boundary: the scanner finds SQL and the connection, and passes ordinary text") {
    // Statements, and the pieces of one split over several literals.
    for (const char* code :
         {R"c(Statement st{db, "SELECT id FROM run WHERE id = ?"};)c",
          R"c(db.exec("DELETE FROM referral_link WHERE run_id = " + id);)c",
          R"c(x = "INSERT INTO evaluation (run_id) VALUES (?)";)c", R"c(x = "UPDATE referral SET state = ?";)c",
          R"c(x = "PRAGMA journal_mode";)c", R"c(x = "WITH recent AS (SELECT 1) SELECT * FROM recent";)c",
          R"c(x = "coalesce(r.survey, ''), r.id FROM referral r ";)c", R"c(x = " WHERE r.reference = ?";)c",
          R"c(x = "ORDER BY created_at";)c"}) {
        CAPTURE(code);
        CHECK(sql_literals(code).size() == 1);
    }
    for (const char* code : {R"c(throw Error("no run " + id + " in the store; 'hotref status' lists the runs");)c",
                             R"c(x = "DELETE /v1/tokens/NAME revokes it";)c", R"c(x = "hotref store copy FROM TO";)c",
                             R"c(x = "Select the run with --run";)c", R"c(x = "WITH consent only";)c",
                             R"c(// SELECT id FROM run (a comment, not a literal))c"}) {
        CAPTURE(code);
        CHECK(sql_literals(code).empty());
    }
    CHECK(connection_uses("store::Transaction tx{store.db()};").size() == 1);
    CHECK(connection_uses("hotref::store::Statement st{d, q};").size() == 1);
    CHECK(connection_uses("#include <sqlite3.h>").size() == 1);
    CHECK(connection_uses("store::Transaction tx{store};").empty());
    CHECK(connection_uses("const auto runs = store::list_runs(store);").empty());
}

TEST_CASE("store boundary: no file of src/ outside src/store holds SQL or reaches the connection") {
    const auto files = sources_outside_store();
    REQUIRE(files.size() > 50); // the tree was found (HOTREF_SOURCE_DIR)
    for (const auto& file : files) {
        const auto& name = file.first;
        const auto& text = file.second;
        CAPTURE(name);
        for (const auto& hit : sql_literals(text)) {
            FAIL_CHECK(name << ": " << hit << " (SQL belongs in a repository function of src/store)");
        }
        for (const auto& hit : connection_uses(text)) {
            FAIL_CHECK(name << ": " << hit << " (ask a repository function of src/store instead)");
        }
    }
}
