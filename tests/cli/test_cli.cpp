// End-to-end runs of the hotref binary: exit codes, messages, and the real
// Derbyshire data from geodata/.

#include "support.hpp"

#include "cli/command.hpp"
#include "store/sqlite.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <filesystem>
#include <vector>

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
    const auto r = run_hotref("ingest --store " + q(tmp.store()) + " /no/such/file.csv");
    CHECK(r.code == 1);
    CHECK(r.err == "hotref ingest: error: /no/such/file.csv: no such file or folder\n");
    const auto s = run_hotref("status --store " + q(tmp.file("none.sqlite")));
    CHECK(s.code == 1);
    CHECK(contains(s.err, "run 'hotref ingest' first or give --store"));
}

TEST_CASE("cli: ingest the real Derbyshire 2025 data, then again (unchanged)") {
    t::TempDir tmp;
    const std::string store = q(tmp.store());
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
    const auto r = run_hotref("ingest --store " + q(tmp.store()) + " " +
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
    const auto r = run_hotref("ingest --store " + q(tmp.store()) + " " +
                              q(t::data("policeuk/2025-01-small-street.csv")) + " " +
                              q(t::data("policeuk/bad-header-street.csv")));
    CHECK(r.code == 1);
    CHECK(contains(r.out, "2 file(s): 1 stored, 0 unchanged, 1 failed"));
    CHECK(contains(r.err, "error: " + t::data("policeuk/bad-header-street.csv") +
                              ": line 1: not a data.police.uk street-level CSV header; missing column(s) 'Longitude'"));
}

TEST_CASE("cli: a process killed mid-ingest leaves the store as it was before that file") {
    t::TempDir tmp;
    const std::string store = q(tmp.store());
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
    hotref::store::Database db{tmp.store(), false};
    CHECK(db.query_int("SELECT count(*) FROM feed WHERE status = 'loading'") == 0);
    CHECK(t::store_integrity(tmp.store()) == "ok");
}

TEST_CASE("cli: layers says what is wrong, with the right exit codes") {
    t::TempDir tmp;
    const std::string store = q(tmp.store());
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

// --- issue 16: any force, months never silently zero, the right run and dates ---------------

namespace {

// pdftotext's text of a PDF.
std::string pdf_text(const std::string& pdf) {
    t::TempDir tmp;
    const auto out = tmp.file("text");
    std::system(("pdftotext '" + pdf + "' '" + out + "'").c_str());
    return t::read_file(out);
}

std::string derbyshire_month(int m) {
    char name[64];
    std::snprintf(name, sizeof name, "police-uk/derbyshire-2025/2025-%02d-derbyshire-street.csv.gz", m);
    return q(t::geodata(name));
}

// A store with Derbyshire (real, 2025-01) and Nottinghamshire (the fixture: 2025-01 and 2025-03).
std::string two_force_store(t::TempDir& tmp) {
    const std::string store = q(tmp.file("two.sqlite"));
    const auto r = run_hotref("ingest --store " + store + " " + derbyshire_month(1) + " " +
                              q(t::data("policeuk/forces/nottinghamshire")));
    REQUIRE(r.code == 0);
    return store;
}

// The incidents a hotspots run counted, inside its area and outside it, from its report.
std::int64_t incidents_counted(const std::string& out) {
    const auto number_after = [&](const std::string& label, std::size_t from) -> std::int64_t {
        std::string digits;
        for (std::size_t i = from + label.size(); i < out.size() && (std::isdigit(static_cast<unsigned char>(out[i])) || out[i] == ','); ++i) {
            if (out[i] != ',') {
                digits += out[i];
            }
        }
        return digits.empty() ? -1 : std::stoll(digits);
    };
    const auto at = out.find("incidents  ");
    REQUIRE(at != std::string::npos);
    std::int64_t total = number_after("incidents  ", at);
    const auto line_end = out.find('\n', at);
    const auto open = out.find(" (", at);
    if (open != std::string::npos && open < line_end) {
        total += number_after(" (", open);
    }
    return total;
}

} // namespace

TEST_CASE("cli: a store of two forces needs --force on hotspots, layers, bulletin and evaluate") {
    t::TempDir tmp;
    const auto store = two_force_store(tmp);
    // Without --force: refused (exit 2), naming both forces; never one grid over both.
    const std::string out = " --out " + q(tmp.file("o"));
    for (const auto& cmd : std::vector<std::string>{"hotspots", "layers" + out, "bulletin" + out,
                                                    "evaluate --date 2025-03 --months 1"}) {
        const auto r = run_hotref(cmd + " --store " + store);
        CAPTURE(cmd);
        CHECK(r.code == 2);
        CHECK(contains(r.err, "'Derbyshire Constabulary', 'Nottinghamshire Police'"));
        CHECK(contains(r.err, "--force"));
    }
    {
        // serve refuses too, before it listens (timeout: a serve that did not refuse would run on).
        const auto err = tmp.file("serve.err");
        const int status = std::system(("HOTREF_NO_PROGRESS=1 timeout 20 '" + std::string{HOTREF_BINARY} +
                                        "' serve --port 0 --store " + store + " 2>'" + err + "' >/dev/null")
                                           .c_str());
        CHECK(WEXITSTATUS(status) == 2);
        CHECK(contains(t::read_file(err), "give --force NAME"));
    }
    const auto bad = run_hotref("hotspots --store " + store + " --force kent");
    CHECK(bad.code == 2);
    CHECK(contains(bad.err, "--force 'kent' names no force in the store"));

    // Nottinghamshire only: its districts clip the 20 rows a month at Ilkeston and Derby, and
    // the user is told how many (2 x 20 = 40, written into the fixture).
    const auto h = run_hotref("hotspots --store " + store + " --force nottinghamshire --allow-gaps --count 5");
    REQUIRE(h.code == 0);
    CHECK(contains(h.out, "force      Nottinghamshire Police"));
    CHECK(contains(h.out, "area       Nottinghamshire Police (bundled 2011 boundaries)"));
    CHECK(contains(h.out, "(40 outside the area left out)"));
    CHECK(contains(h.err, "40 incident(s) at"));
    CHECK(contains(h.err, "lie outside the study area"));
    // Derbyshire's run is its own, over its own incidents only.
    const auto d = run_hotref("hotspots --store " + store + " --force derbyshire --count 5");
    REQUIRE(d.code == 0);
    CHECK(contains(d.out, "force      Derbyshire Constabulary"));
    CHECK_FALSE(contains(d.out, "Nottingham"));

    // The bulletin of that force: its title and its districts, no Derbyshire hint.
    const auto b = run_hotref("bulletin --store " + store + " --force nottinghamshire --out " + q(tmp.file("b")));
    REQUIRE(b.code == 0);
    const auto text = pdf_text(tmp.file("b/bulletin.pdf"));
    CHECK(contains(text, "ASB patrol bulletin: Nottinghamshire Police"));
    for (const char* district : {"MANSFIELD", "BASSETLAW", "NEWARK AND SHERWOOD", "RUSHCLIFFE"}) {
        CHECK(contains(text, district));
    }
    CHECK_FALSE(contains(text, "EREWASH"));
    CHECK_FALSE(contains(b.err, "derbyshire_force_area"));

    const auto l = run_hotref("layers --store " + store + " --force 'Nottinghamshire Police' --no-tiles --out " +
                              q(tmp.file("l")));
    CHECK(l.code == 0);
    CHECK(contains(l.out, "layers of run 1 (patrol)"));
    const auto runs = run_hotref("runs --store " + store + " --force derbyshire");
    CHECK(runs.code == 0);
    CHECK(contains(runs.out, "Derbyshire Constabulary"));
    CHECK_FALSE(contains(runs.out, "Nottinghamshire Police"));

    // --force all: one run over both forces (a regional or national analysis), and only for
    // hotspots; each incident of either force counted once, inside the area or outside it.
    const auto all = run_hotref("hotspots --store " + store + " --force all --allow-gaps --count 5 --top 0");
    REQUIRE(all.code == 0);
    CHECK(contains(all.out, "force      all forces in the store, in one run"));
    CHECK(incidents_counted(all.out) == incidents_counted(h.out) + incidents_counted(d.out));
    CHECK(incidents_counted(all.out) > incidents_counted(d.out));
    const auto refused = run_hotref("hotspots --store " + store);
    CHECK(contains(refused.err, "(or --force all: one run over all of them)"));
    const auto layers_all = run_hotref("layers --store " + store + " --force all --out " + q(tmp.file("la")));
    CHECK(layers_all.code == 2);
    CHECK(contains(layers_all.err, "--force 'all' names no force in the store"));
}

TEST_CASE("cli: serve --force publishes that force only, and the districts of its area only") {
    t::TempDir tmp;
    const auto store = two_force_store(tmp);
    REQUIRE(run_hotref("hotspots --store " + store + " --force derbyshire --count 5 --top 0").code == 0);   // run 1
    REQUIRE(run_hotref("hotspots --store " + store + " --force nottinghamshire --allow-gaps --count 5 --top 0").code ==
            0); // run 2
    const auto token = run_hotref("token create --store " + store + " --role patrol-planner --name Planner");
    REQUIRE(token.code == 0);
    const std::string bearer = token.out.substr(0, token.out.find_first_of("\r\n"));
    const auto port_file = tmp.file("port"), pid_file = tmp.file("pid");
    REQUIRE(std::system(("HOTREF_NO_PROGRESS=1 '" + std::string{HOTREF_BINARY} + "' serve --port 0 --port-file '" +
                         port_file + "' --store " + store + " --force nottinghamshire 2>'" + tmp.file("serve.err") +
                         "' >/dev/null & echo $! > '" + pid_file + "'")
                            .c_str()) == 0);
    // GET path: the JSON answer (waits for the service to be ready, at most 60 s).
    auto get = [&](const std::string& path) {
        const auto out = tmp.file("answer.json");
        for (int i = 0; i < 300; ++i) {
            const std::string port = std::filesystem::exists(port_file) ? t::read_file(port_file) : "";
            if (!port.empty() &&
                std::system(("curl -sf -H 'Authorization: Bearer " + bearer + "' 'http://127.0.0.1:" +
                             port.substr(0, port.find_first_of("\r\n")) + path + "' -o '" + out + "'")
                                .c_str()) == 0) {
                return nlohmann::json::parse(t::read_file(out));
            }
            std::system("sleep 0.2");
        }
        FAIL("no answer to " << path << ": " << t::read_file(tmp.file("serve.err")));
        return nlohmann::json{};
    };
    const auto hotspots = get("/collections/hotspots/items?limit=1000");
    const auto districts = get("/collections/districts/items?limit=1000");
    const auto runs = get("/v1/runs");
    // Derbyshire's run is not this service's to show, by any path.
    const std::string port = t::read_file(port_file).substr(0, t::read_file(port_file).find_first_of("\r\n"));
    const auto status = tmp.file("status");
    std::system(("curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer " + bearer +
                 "' 'http://127.0.0.1:" + port + "/v1/runs/1/hotspots' > '" + status + "'")
                    .c_str());
    const auto other = get("/v1/runs/2/hotspots");
    std::system(("kill $(cat '" + pid_file + "')").c_str());
    CHECK(t::read_file(status) == "404");
    REQUIRE(runs["runs"].size() == 1);
    CHECK(runs["runs"][0]["id"] == 2);
    CHECK(runs["runs"][0]["force"] == "Nottinghamshire Police");
    CHECK(runs["served_run"] == 2);
    CHECK(other["features"].size() == hotspots["features"].size());
    // Only Nottinghamshire's run: every hotspot is of run 2 (of its five, those the gate publishes).
    REQUIRE(!hotspots["features"].empty());
    CHECK(hotspots["features"].size() <= 5);
    for (const auto& f : hotspots["features"]) {
        CHECK(f["properties"]["run_id"] == 2);
    }
    // Its districts, not Derbyshire's or the other neighbours' (they meet its bounding box).
    std::set<std::string> names;
    for (const auto& f : districts["features"]) {
        CHECK(f["properties"]["force"] == "Nottinghamshire Police");
        names.insert(f["properties"]["name"].get<std::string>());
    }
    CHECK(names.size() == 8); // seven districts and the city of Nottingham
    CHECK(names.count("Mansfield") == 1);
    CHECK(names.count("Erewash") == 0);
}

TEST_CASE("cli: a Welsh force is told that its study area is a hull of its points") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("w.sqlite"));
    REQUIRE(run_hotref("ingest --store " + store + " " + q(t::data("policeuk/forces/dyfed-powys"))).code == 0);
    const auto r = run_hotref("hotspots --store " + store + " --count 3");
    REQUIRE(r.code == 0);
    CHECK(contains(r.err, "Welsh force: hotref bundles the boundaries of the 39 English forces only"));
    CHECK(contains(r.err, "the study area is a hull of the points"));
    // The bulletin says so too, and never calls the hull the force area.
    const auto b = run_hotref("bulletin --store " + store + " --out " + q(tmp.file("b")));
    REQUIRE(b.code == 0);
    CHECK(contains(b.err, "Welsh force: its boundaries are not bundled, so the map shows a hull"));
    const auto text = pdf_text(tmp.file("b/bulletin.pdf"));
    CHECK(contains(text, "Study area: a hull of the points"));
    CHECK_FALSE(contains(text, "Force area"));
}

TEST_CASE("cli: months not stored are named and never counted as zero") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("n.sqlite"));
    REQUIRE(run_hotref("ingest --store " + store + " " + q(t::data("policeuk/forces/nottinghamshire"))).code == 0);
    // hotspots over a range with a gap: refused, naming it; --allow-gaps runs and says so.
    const auto refused = run_hotref("hotspots --store " + store + " --from 2025-01 --to 2025-03");
    CHECK(refused.code == 1);
    CHECK(contains(refused.err, "1 month(s) not in the store: 2025-02"));
    CHECK(contains(refused.err, "--allow-gaps"));
    const auto gaps = run_hotref("hotspots --store " + store + " --from 2025-01 --to 2025-03 --allow-gaps --count 5");
    REQUIRE(gaps.code == 0);
    CHECK(contains(gaps.out, "gaps       1 month(s) not stored, left out: 2025-02"));
    // bulletin for the month not stored: refused, naming it (was "0 incidents, -100 %").
    const auto month = run_hotref("bulletin --store " + store + " --month 2025-02 --out " + q(tmp.file("b")));
    CHECK(month.code == 1);
    CHECK(contains(month.err, "no police.uk incidents of Nottinghamshire Police for 2025-02"));
    // March: February is no comparison, and the monthly bars mark it as a gap, not zero.
    const auto march = run_hotref("bulletin --store " + store + " --out " + q(tmp.file("b")));
    REQUIRE(march.code == 0);
    CHECK(contains(march.err, "The previous period (February 2025) is not wholly in the store (2025-02 missing)"));
    const auto html = t::read_file(tmp.file("b/bulletin.html"));
    CHECK(contains(html, "<td data-month=\"2025-02\">not stored</td>"));
    CHECK_FALSE(contains(html, "<td data-month=\"2025-02\">0</td>"));
    CHECK(contains(pdf_text(tmp.file("b/bulletin.pdf")), "no data"));
    // evaluate names the missing months of its window.
    const auto ev = run_hotref("evaluate --store " + store + " --date 2025-03 --months 2");
    CHECK(ev.code == 1);
    CHECK(contains(ev.err, "the store does not hold 2025-02 and 2025-04"));
}

TEST_CASE("cli: the bulletin uses the run covering the latest stored month, valid from the day after it") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("d.sqlite"));
    REQUIRE(run_hotref("ingest --store " + store + " " + derbyshire_month(1) + " " + derbyshire_month(2) + " " +
                       derbyshire_month(3))
                .code == 0);
    // A Gi* run over all three months, then a patrol trial on January-February only.
    REQUIRE(run_hotref("hotspots --store " + store + " --method gistar --cell-size 250 --top 0").code == 0);
    REQUIRE(run_hotref("hotspots --store " + store + " --from 2025-01 --to 2025-02 --top 0").code == 0);
    const auto b = run_hotref("bulletin --store " + store + " --out " + q(tmp.file("b")));
    REQUIRE(b.code == 0);
    CHECK(contains(b.out, "bulletin for 2025-03 from run 1"));
    const auto text = pdf_text(tmp.file("b/bulletin.pdf"));
    CHECK(contains(text, "Valid 2025-04-01 to 2025-04-30"));
    // February's bulletin of the trial: valid through March.
    const auto feb = run_hotref("bulletin --store " + store + " --run 2 --out " + q(tmp.file("c")));
    REQUIRE(feb.code == 0);
    CHECK(contains(pdf_text(tmp.file("c/bulletin.pdf")), "Valid 2025-03-01 to 2025-03-31"));
}

TEST_CASE("cli: hotref runs, and codes kept per method and parameters") {
    t::TempDir tmp;
    const std::string store = q(tmp.file("r.sqlite"));
    REQUIRE(run_hotref("ingest --store " + store + " " + derbyshire_month(1) + " " + derbyshire_month(2)).code == 0);
    const std::string gi = "hotspots --store " + store + " --method gistar --top 0 ";
    REQUIRE(run_hotref(gi + "--cell-size 250").code == 0);                 // run 1
    REQUIRE(run_hotref(gi + "--cell-size 500").code == 0);                 // run 2: a trial
    const auto again = run_hotref(gi + "--cell-size 250 --from 2025-02");  // run 3
    REQUIRE(again.code == 0);
    // Run 3 continues run 1 (same cell size), not the 500 m trial in between.
    CHECK(contains(again.out, "identity against run 1:"));
    const auto trial = run_hotref(gi + "--cell-size 500 --from 2025-02"); // run 4
    CHECK(contains(trial.out, "identity against run 2:"));
    const auto runs = run_hotref("runs --store " + store);
    REQUIRE(runs.code == 0);
    CHECK(contains(runs.out, "gistar cell 250 m, band default, 95%, max-area default; Derbyshire Constabulary"));
    CHECK(contains(runs.out, "gistar cell 500 m, band default, 95%, max-area default; Derbyshire Constabulary"));
    CHECK(contains(runs.out, "run 1  "));
    const auto json = run_hotref("runs --json --store " + store);
    REQUIRE(json.code == 0);
    CHECK(contains(json.out, "\"continues_run\": 1"));
    CHECK(contains(json.out, "\"continues_run\": 2"));
    CHECK(contains(json.out, "\"period_from\": \"2025-02\""));
}

TEST_CASE("cli: bulletin --boundaries takes an ONS file as it comes") {
    t::TempDir tmp;
    const auto store = q(tmp.file("n.sqlite"));
    REQUIRE(run_hotref("ingest --store " + store + " " + q(t::data("policeuk/forces/nottinghamshire"))).code == 0);
    REQUIRE(run_hotref("hotspots --store " + store + " --from 2025-03 --count 5 --top 0").code == 0);
    // An ONS-like file: its own layer name, a district_name field, no force_area layer.
    const auto ons = tmp.file("LAD_DEC_2011_EN.gpkg");
    REQUIRE(std::system(("ogr2ogr -f GPKG '" + ons + "' '" + t::geodata("england_force_areas.gpkg") +
                         "' -nln LAD_DEC_2011_EN -sql \"SELECT geom, name AS district_name, code AS LAD11CD FROM "
                         "districts WHERE force = 'Nottinghamshire Police'\"")
                            .c_str()) == 0);
    const auto b = run_hotref("bulletin --store " + store + " --boundaries " + q(ons) + " --out " + q(tmp.file("b")));
    REQUIRE(b.code == 0);
    CHECK_FALSE(contains(b.err, "District boundaries not drawn"));
    const auto text = pdf_text(tmp.file("b/bulletin.pdf"));
    CHECK(contains(text, "MANSFIELD"));
    CHECK(contains(text, "GEDLING"));
    // A field named by option; a wrong one is an error naming the fields there are.
    const auto named = run_hotref("bulletin --store " + store + " --boundaries " + q(ons) +
                                  " --boundary-layer LAD_DEC_2011_EN --boundary-name-field district_name --out " +
                                  q(tmp.file("c")));
    CHECK(named.code == 0);
    const auto wrong = run_hotref("bulletin --store " + store + " --boundaries " + q(ons) +
                                  " --boundary-name-field LAD11NM --out " + q(tmp.file("d")));
    CHECK(wrong.code == 1);
    CHECK(contains(wrong.err, "has no field 'LAD11NM' (it has 'district_name', 'LAD11CD')"));
}

TEST_CASE("cli: referral import counts rejected rows, not problems, and names file, line and column") {
    t::TempDir tmp;
    t::write_file(tmp.file("secret"), "a-test-secret-of-enough-length\n");
    const std::string bad = t::data("referrals/bad.csv");
    const std::string args = "referral import --secret-file " + q(tmp.file("secret")) + " --store " +
                             q(tmp.store()) + " ";
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

// Issue 18: the comparison cohort, compare and costs end to end. The expected output of
// compare is tests/data/cohort/compare-internal.expected; its figures were checked by hand
// (tests/referral/test_cohort.cpp works the same fixture): IJ 1 of 3 followed up reoffended
// (Wilson 6.1-79.2 %), caution 2 of 3 (20.8-93.9 %), crude difference -33.3 pp (Wald upper
// +42.1), stratified -1/3 over 2 strata; Kaplan-Meier S = 0.75 (log-log 12.8-96.1 %).
TEST_CASE("cli: referral cohort-template, cohort-import and compare (golden output)") {
    t::TempDir tmp;
    t::write_file(tmp.file("secret"), "a-test-secret-of-enough-length\n");
    const std::string store = q(tmp.store());
    const std::string secret = " --secret-file " + q(tmp.file("secret"));
    const auto tpl = run_hotref("referral cohort-template");
    CHECK(tpl.code == 0);
    CHECK(tpl.out == "route,person_id,offence,disposal_date,age_band,first_time_entrant,reoffence_date\n"
                     "caution,FORCE-PERSON-ID-456,shop-theft,2025-03-04,adult,yes,\n"
                     "charge-summons,FORCE-PERSON-ID-789,criminal-damage,12/03/2025,10-17,no,2025-09-30\n");
    const std::string bad = t::data("cohort/bad.csv");
    const auto b = run_hotref("referral cohort-import --store " + store + secret + " " + q(bad));
    CHECK(b.code == 1);
    CHECK(contains(b.err, bad + ":4: row rejected: 5 problems\n  " + bad +
                              ":4: person_id (column B): is empty: the force's identifier of the person is needed"));
    CHECK(contains(b.err, bad + ": nothing stored: 4 of 5 rows rejected (8 problems, listed above)"));
    REQUIRE(run_hotref("referral import --store " + store + secret + " " + q(t::data("cohort/referrals.csv"))).code == 0);
    const auto imp = run_hotref("referral cohort-import --store " + store + secret + " " + q(t::data("cohort/good.csv")));
    CHECK(imp.code == 0);
    CHECK(contains(imp.out, ": 5 rows: 5 created, 0 updated, 0 unchanged"));
    const auto again = run_hotref("referral cohort-import --store " + store + secret + " " + q(t::data("cohort/good.csv")));
    CHECK(contains(again.out, ": 5 rows: 0 created, 0 updated, 5 unchanged"));
    const auto c = run_hotref("referral compare --store " + store + " --as-of 2026-12-31 --profile internal --label "
                              "'TEST fixture' --csv " + q(tmp.file("c.csv")));
    CHECK(c.code == 0);
    CHECK(c.err.empty());
    CHECK(c.out == t::read_file(t::data("cohort/compare-internal.expected")) + "wrote " + tmp.file("c.csv") + "\n");
    const auto csv = t::read_file(tmp.file("c.csv"));
    CHECK(contains(csv, "route,caution,reoffended_within_months,12,2,3,0.6667,0.2077,0.9385,Wilson 95%\n"));
    CHECK(contains(csv, "difference,caution,ij_minus_route_mantel_haenszel,12,2,,-0.3333,"));
    CHECK(contains(csv, "stratum,caution,shop-theft|10-17|not-fte,12,1,1,,,,reoffended / followed up\n"));
    CHECK(contains(csv, "note,,label,,,,,,,\"TEST fixture\"\n"));
    // Published: every count of fewer than 10 people withheld.
    const auto pub = run_hotref("referral compare --store " + store + " --as-of 2026-12-31");
    CHECK(pub.code == 0);
    CHECK(contains(pub.out, "immediate-justice        *  *"));
    CHECK(contains(pub.out, "WARNING: SELECTION BIAS"));
    // costs: the page, its chart and its CSV.
    t::write_file(tmp.file("uc.csv"), "id,offence_type,unit_cost_gbp,price_year,source\nvwi,Violence with injury,14050,2015/16,test\n");
    t::write_file(tmp.file("c.conf"), "programme.grant = 1000 # test\nprogramme.provider_contract = 0 # test\n"
                                      "programme.other = 0 # test\nofficer.hours_saved_per_resolution = 2 # test\n"
                                      "officer.hourly_cost = 40 # test\nharm.unit_cost_factor = 1 # test\n"
                                      "unit_costs = uc.csv\nprice.asb = vwi\n");
    const auto k = run_hotref("referral costs --store " + store + " --as-of 2026-12-31 --profile internal --config " +
                              q(tmp.file("c.conf")) + " --label 'SYNTHETIC test' --csv " + q(tmp.file("k.csv")) +
                              " --chart " + q(tmp.file("k.png")) + " --html " + q(tmp.file("k.html")));
    CHECK_MESSAGE(k.code == 0, k.err);
    // By hand: 4 referrals, 0 completed; RD -1/3 against caution (interval -1 to +0.510): central
    // 4/3 reoffences avoided, of which the asb share (2 of the 3 IJ people followed up) is priced:
    // 4/3 * 2/3 * 14050 = 12488.9; officer time 4 * 2 * 40 = 320; benefit-cost ratio
    // (12488.9 + 320) / 1000 = 12.81. Low uses RD's upper limit: -0.510 * 4 = -2.04 avoided,
    // harm -2.04 * 2/3 * 14050 = -19,112; high its lower limit: 4 avoided, harm 37,467.
    CHECK(contains(k.out, "reoffences avoided                      -2.04             1.33             4.00"));
    CHECK(contains(k.out, "harm avoided                      -GBP 19,112       GBP 12,489       GBP 37,467"));
    CHECK(contains(k.out, "benefit-cost ratio                     -18.79            12.81            37.79"));
    CHECK(contains(k.out, "cost per completion                         -                -                -"));
    CHECK(contains(t::read_file(tmp.file("k.html")), "<h1>Scheme costs and outcomes</h1>"));
    CHECK(contains(t::read_file(tmp.file("k.html")), "SYNTHETIC test"));
    CHECK(t::read_file(tmp.file("k.png")).substr(1, 3) == "PNG");
    CHECK(contains(t::read_file(tmp.file("k.csv")), "benefit-cost ratio,ratio,-18.792,12.809,37.787,\"SYNTHETIC test\"\n"));
    const auto noconf = run_hotref("referral costs --store " + store);
    CHECK(noconf.code == 2);
    CHECK(contains(noconf.err, "costs needs --config FILE"));
    const auto nocharts = run_hotref("evaluate --store " + store + " --costs " + q(tmp.file("c.conf")));
    CHECK(nocharts.code == 2);
    CHECK(contains(nocharts.err, "--costs writes its page into the --charts folder"));
}
