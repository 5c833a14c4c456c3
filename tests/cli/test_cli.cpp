// End-to-end runs of the hotref binary: exit codes, messages, and the real
// Derbyshire data from geodata/.

#include "support.hpp"

#include "cli/command.hpp"
#include "store/sqlite.hpp"

#include <doctest/doctest.h>

#include <string>

namespace t = hotref::test;
using t::contains;
using t::run_hotref;

namespace {
std::string q(const std::string& s) {
    return "'" + s + "'";
}
} // namespace

TEST_CASE("cli: no command prints the overview and exits 2") {
    const auto r = run_hotref("");
    CHECK(r.code == 2);
    CHECK(contains(r.out, "Usage: hotref COMMAND"));
}

TEST_CASE("cli: help lists every command") {
    const auto r = run_hotref("help");
    CHECK(r.code == 0);
    for (const auto& c : hotref::cli::commands()) {
        CAPTURE(c.name);
        CHECK(contains(r.out, std::string{"  "} + c.name + " "));
    }
    CHECK(r.err.empty());
}

TEST_CASE("cli: docs/README.md names every command, without a stale count") {
    const auto readme = t::read_file(std::string{HOTREF_SOURCE_DIR} + "/docs/README.md");
    for (const auto& c : hotref::cli::commands()) {
        CAPTURE(c.name);
        CHECK(contains(readme, std::string{"`hotref "} + c.name + "`"));
    }
    CHECK_FALSE(contains(readme, "commands exist so far"));
}

TEST_CASE("cli: every command answers -h and 'help COMMAND' with its usage") {
    for (const auto& c : hotref::cli::commands()) {
        CAPTURE(c.name);
        const auto h = run_hotref(std::string{c.name} + " -h");
        CHECK(h.code == 0);
        CHECK(contains(h.out, std::string{"Usage: hotref "} + c.name));
        CHECK(contains(h.out, "Examples:"));
        CHECK(h.err.empty());
        const auto help = run_hotref(std::string{"help "} + c.name);
        CHECK(help.code == 0);
        CHECK(help.out == h.out);
    }
}

TEST_CASE("cli: bad arguments exit 2 with a one-line message") {
    const auto unknown = run_hotref("frobnicate");
    CHECK(unknown.code == 2);
    CHECK(unknown.err == "hotref: unknown command 'frobnicate' (see 'hotref help')\n");
    const auto bad_option = run_hotref("ingest --bogus x");
    CHECK(bad_option.code == 2);
    CHECK(contains(bad_option.err, "hotref ingest: unrecognised option '--bogus' (see 'hotref ingest -h')"));
    const auto no_path = run_hotref("ingest");
    CHECK(no_path.code == 2);
    CHECK(no_path.err ==
          "hotref ingest: give at least one file, folder or archive to ingest (see 'hotref ingest -h')\n");
}

TEST_CASE("cli: a missing input or store is an error (exit 1) that says what to do") {
    t::TempDir tmp;
    const auto r = run_hotref("ingest --store " + q(tmp.file("s.sqlite")) + " /no/such/file.csv");
    CHECK(r.code == 1);
    CHECK(r.err == "hotref ingest: error: /no/such/file.csv: no such file or folder\n");
    const auto s = run_hotref("status --store " + q(tmp.file("none.sqlite")));
    CHECK(s.code == 1);
    CHECK(contains(s.err, "run 'hotref ingest' first or give --store"));
}

TEST_CASE("cli: ingest the real Derbyshire 2025 data, then again (unchanged)") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("s.sqlite"));
    const std::string args = "ingest --store " + store + " --area " + q(t::geodata("derbyshire_force_area.gpkg")) +
                             " --report-json " + q(tmp.file("report.json")) + " " +
                             q(t::geodata("police-uk/derbyshire-2025"));
    const auto first = run_hotref(args);
    CHECK(first.code == 0);
    // 102,621 rows (data.police.uk); 1,430 of them at 1,052 snap points outside the
    // force-area polygon, counted independently when geodata was prepared (geodata/README.md).
    CHECK(contains(first.out, "12 file(s): 12 stored, 0 unchanged, 0 failed; 102,621 rows read, 101,191 stored, "
                              "1,430 rejected"));
    CHECK(contains(first.err, "rows rejected (outside_area "));
    const auto report = t::read_file(tmp.file("report.json"));
    CHECK(contains(report, "\"files_stored\": \"12\""));
    CHECK(contains(report, "\"rows_rejected\": \"1430\""));

    const auto again = run_hotref(args);
    CHECK(again.code == 0);
    CHECK(contains(again.out, "12 file(s): 0 stored, 12 unchanged, 0 failed"));
    CHECK(again.err.empty());

    const auto status = run_hotref("status --store " + store);
    CHECK(status.code == 0);
    CHECK(contains(status.out, "101,191 incidents"));
    CHECK(contains(status.out, "12 partitions, 12 feeds, 1,430 rejected rows"));
    CHECK(contains(status.out, "police.uk      Derbyshire Constabulary          2025-07"));
    CHECK(contains(status.out, "Anti-social behaviour"));

    const auto json = run_hotref("status --json --store " + store);
    CHECK(json.code == 0);
    CHECK(contains(json.out, "\"incidents\": \"101191\""));

    const auto rejects = run_hotref("status --rejects --limit 2 --store " + store);
    CHECK(rejects.code == 0);
    CHECK(contains(rejects.out, "2025-01-derbyshire-street.csv.gz:"));
    CHECK(contains(rejects.out, "[outside_area]"));
}

TEST_CASE("cli: police.uk No Location rows are one summary line per run, not examples per file") {
    t::TempDir tmp;
    const std::string header = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
                               "LSOA name,Crime type,Last outcome category,Context\n";
    const std::string placed = ",2025-0M,Derbyshire Constabulary,Derbyshire Constabulary,-1.377978,53.095745,"
                               "On or near Prospect Street,E01019400,Amber Valley 001A,Anti-social behaviour,,\n";
    const std::string unplaced = ",2025-0M,Derbyshire Constabulary,Derbyshire Constabulary,,,No Location,,,"
                                 "Anti-social behaviour,,\n";
    auto month = [](std::string row, char m) {
        row[7] = m;
        return row;
    };
    std::string jan = header + month(placed, '1');
    for (int i = 0; i < 7; ++i) {
        jan += month(unplaced, '1');
    }
    // February also has one row that is really wrong: it alone gets a warning and an example.
    std::string feb = header + month(placed, '2') + month(unplaced, '2') + month(unplaced, '2') +
                      ",2025-13,Derbyshire Constabulary,Derbyshire Constabulary,-1.37,53.09,On or near X,,,"
                      "Anti-social behaviour,,\n";
    t::write_file(tmp.file("2025-01-derbyshire-street.csv"), jan);
    t::write_file(tmp.file("2025-02-derbyshire-street.csv"), feb);
    const auto r = run_hotref("ingest --store " + q(tmp.file("s.sqlite")) + " " +
                              q(tmp.file("2025-01-derbyshire-street.csv")) + " " +
                              q(tmp.file("2025-02-derbyshire-street.csv")));
    CHECK(r.code == 0);
    CHECK(contains(r.out, "2 file(s): 2 stored, 0 unchanged, 0 failed; 12 rows read, 2 stored, 10 rejected"));
    CHECK(contains(r.err, "note: 9 rows in 2 files had no coordinates (police.uk \"No Location\" rows"));
    CHECK_FALSE(contains(r.err, "Longitude or Latitude is empty"));
    CHECK_FALSE(contains(r.err, "2025-01-derbyshire-street.csv: "));
    CHECK(contains(r.err, "2025-02-derbyshire-street.csv: 1 of 4 rows rejected (bad_month 1)\n"));
    CHECK(contains(r.err, "2025-02-derbyshire-street.csv:5: Month: bad month '2025-13'"));
    std::size_t lines = 0;
    for (const char c : r.err) {
        lines += c == '\n' ? 1 : 0;
    }
    CHECK(lines == 3);  // the warning, its example, the one No Location note
}

TEST_CASE("cli: a broken file fails (exit 1) while the good ones are stored") {
    t::TempDir tmp;
    const auto r = run_hotref("ingest --store " + q(tmp.file("s.sqlite")) + " " +
                              q(t::data("policeuk/2025-01-small-street.csv")) + " " +
                              q(t::data("policeuk/bad-header-street.csv")));
    CHECK(r.code == 1);
    CHECK(contains(r.out, "2 file(s): 1 stored, 0 unchanged, 1 failed"));
    CHECK(contains(r.err, "error: " + t::data("policeuk/bad-header-street.csv") +
                              ": line 1: not a data.police.uk street-level CSV header; missing column(s) 'Longitude'"));
}

TEST_CASE("cli: a process killed mid-ingest leaves the store as it was before that file") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("s.sqlite"));
    REQUIRE(run_hotref("ingest -q --store " + store + " " + q(t::data("policeuk/2025-01-small-street.csv"))).code ==
            0);
    const auto before = run_hotref("status --json --store " + store).out;
    // A bigger file so pages spill to the WAL before the kill (HOTREF_TEST_KILL_AFTER_ROWS
    // makes the process SIGKILL itself after that many rows).
    const std::string gen = q(std::string{HOTREF_GEN}) + " --rows 200000 --months 2025-01:2025-02 --out " +
                            q(tmp.file("big-street.csv")) + " 2>/dev/null";
    REQUIRE(std::system(gen.c_str()) == 0);
    const std::string cmd = "HOTREF_NO_PROGRESS=1 HOTREF_TEST_KILL_AFTER_ROWS=150000 " +
                            q(std::string{HOTREF_BINARY}) + " ingest --store " + store + " " +
                            q(tmp.file("big-street.csv")) + " >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    REQUIRE(WIFSIGNALED(status) == 0); // system() runs a shell, which reports the signal as 128+9
    CHECK(WEXITSTATUS(status) == 128 + 9);
    const auto after = run_hotref("status --json --store " + store);
    CHECK(after.code == 0);
    CHECK(after.out == before);
    hotref::store::Database db{tmp.file("s.sqlite"), false};
    CHECK(db.query_int("SELECT count(*) FROM feed WHERE status = 'loading'") == 0);
    hotref::store::Statement check{db, "PRAGMA integrity_check"};
    REQUIRE(check.step());
    CHECK(check.column_text(0) == "ok");
}

TEST_CASE("cli: layers says what is wrong, with the right exit codes") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("s.sqlite"));
    REQUIRE(run_hotref("ingest -q --store " + store + " " + q(t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz"))).code == 0);
    const auto none = run_hotref("layers --store " + store + " --out " + q(tmp.file("l")));
    CHECK(none.code == 1);
    CHECK(contains(none.err, "no patrol or gistar run in the store; run 'hotref hotspots --method patrol' first"));
    const auto bad = run_hotref("layers --store " + store + " --profile public");
    CHECK(bad.code == 2);
    CHECK(contains(bad.err, "unknown profile 'public'"));
    const auto low = run_hotref("layers --store " + store + " --min-count 3");
    CHECK(low.code == 2);
    REQUIRE(run_hotref("hotspots --method gistar --store " + store + " --cell-size 500").code == 0);
    const auto ok = run_hotref("layers --store " + store + " --out " + q(tmp.file("l")) + " --no-tiles");
    CHECK(ok.code == 0);
    CHECK(contains(ok.out, "published profile (OFFICIAL)"));
    const auto again = run_hotref("layers --store " + store + " --out " + q(tmp.file("l")) + " --no-tiles");
    CHECK(again.code == 1);
    CHECK(contains(again.err, "exists; give --overwrite"));
}

TEST_CASE("cli: referral import counts rejected rows, not problems, and names file, line and column") {
    t::TempDir tmp;
    t::write_file(tmp.file("secret"), "a-test-secret-of-enough-length\n");
    const std::string bad = t::data("referrals/bad.csv");
    const std::string args = "referral import --secret-file " + q(tmp.file("secret")) + " --store " +
                             q(tmp.file("s.sqlite")) + " ";
    const auto r = run_hotref(args + q(bad));
    CHECK(r.code == 1);
    CHECK(contains(r.err, bad + ": nothing stored: 7 of 8 rows rejected (10 problems, listed above)"));
    CHECK(contains(r.err, bad + ":9: row rejected (IJ-2025-0108): 4 problems\n"
                              "  " + bad + ":9: created_at (column B): '31/04/2025' is impossible: April 2025 has 30 days\n"
                              "  " + bad + ":9: age_band (column F): 'teen' is not 10-17 or adult\n"));
    CHECK(contains(r.err, bad + ":3: row rejected (IJ-2025-0102): 1 problem\n"));
    const auto skipped = run_hotref(args + "--skip-bad-rows " + q(bad));
    CHECK(skipped.code == 0);
    CHECK(contains(skipped.out, bad + ": 8 rows: 1 created, 0 updated, 0 unchanged, 7 rejected (skipped)"));
}
