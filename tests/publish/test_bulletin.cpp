#include "core/error.hpp"
#include "evaluate/evaluation.hpp"
#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "publish/bulletin.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace t = hotref::test;
using hotref::publish::BulletinOptions;
using hotref::publish::patrol_windows;
using hotref::publish::PatrolWindow;
using hotref::publish::Profile;
using hotref::publish::render_bulletin;
using hotref::publish::window_label;
using hotref::publish::write_bulletin;

namespace {

// Runs a shell command and returns its stdout.
std::string shell(const std::string& command) {
    t::TempDir tmp;
    const auto out = tmp.file("out");
    const int status = std::system((command + " >'" + out + "' 2>/dev/null").c_str());
    REQUIRE_MESSAGE(status == 0, command);
    return t::read_file(out);
}

// pdftotext's text with every run of white space made one space.
std::string pdf_text(const std::string& pdf, bool layout = false) {
    const auto text = shell(std::string{"pdftotext "} + (layout ? "-layout " : "") + "'" + pdf + "' -");
    if (layout) {
        return text;
    }
    std::string flat;
    for (const char ch : text) {
        const bool space = std::isspace(static_cast<unsigned char>(ch)) != 0;
        if (!space) {
            flat += ch;
        } else if (!flat.empty() && flat.back() != ' ') {
            flat += ' ';
        }
    }
    return flat;
}

// Every value that follows `prefix` up to the character `end`: ids="...", href="#...".
std::vector<std::string> values_after(const std::string& text, const std::string& prefix, char end) {
    std::vector<std::string> out;
    for (auto p = text.find(prefix); p != std::string::npos; p = text.find(prefix, p + 1)) {
        const auto start = p + prefix.size();
        const auto stop = text.find(end, start);
        if (stop == std::string::npos) {
            break;
        }
        out.push_back(text.substr(start, stop - start));
    }
    return out;
}

int pdf_pages(const std::string& pdf) {
    const auto info = shell("pdfinfo '" + pdf + "'");
    const auto p = info.find("Pages:");
    REQUIRE(p != std::string::npos);
    return std::stoi(info.substr(p + 6));
}

// Renders each page with pdftoppm (PPM) and counts the pixels close to `rgb` on each.
std::vector<long> pixels_like(const std::string& pdf, const std::array<int, 3>& rgb, int dpi) {
    t::TempDir tmp;
    shell("pdftoppm -r " + std::to_string(dpi) + " '" + pdf + "' '" + tmp.file("page") + "'");
    std::vector<std::filesystem::path> pages;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
        if (e.path().extension() == ".ppm") {
            pages.push_back(e.path());
        }
    }
    std::sort(pages.begin(), pages.end());
    std::vector<long> out;
    for (const auto& p : pages) {
        const auto data = t::read_file(p.string());
        // P6 <width> <height> 255 <binary RGB>
        int w = 0, h = 0, max = 0, consumed = 0;
        REQUIRE(std::sscanf(data.c_str(), "P6 %d %d %d%n", &w, &h, &max, &consumed) == 3);
        const std::size_t start = static_cast<std::size_t>(consumed) + 1;
        REQUIRE(data.size() >= start + static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
        long n = 0;
        for (std::size_t i = start; i + 2 < data.size(); i += 3) {
            const auto px = reinterpret_cast<const unsigned char*>(data.data() + i);
            if (std::abs(px[0] - rgb[0]) < 25 && std::abs(px[1] - rgb[1]) < 25 && std::abs(px[2] - rgb[2]) < 25) {
                ++n;
            }
        }
        out.push_back(n);
    }
    return out;
}

std::string with_commas(long long v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) {
        s.insert(static_cast<std::size_t>(i), ",");
    }
    return s;
}

// ASB incidents (sum of n) of a month at locations the hotspot of `rank` covers: SQL, not hotref's code.
long long hotspot_month_count(hotref::store::Store& store, std::int64_t run, int rank, const std::string& month) {
    hotref::store::Statement st{
        store.db(),
        "SELECT coalesce(sum(i.n), 0) FROM hotspot h, incident i JOIN feed_partition p ON p.id = i.partition_id "
        "JOIN location l ON l.id = i.location_id JOIN category c ON c.id = i.category_id "
        "WHERE h.run_id = ? AND h.rank = ? AND p.month = ? AND c.is_asb = 1 AND ST_Covers(h.geom, l.geom)"};
    st.bind(1, run).bind(2, rank).bind(3, month);
    REQUIRE(st.step());
    return st.column_int(0);
}

// The export of the force-export tests: one cluster on Albert Street, Derby, at known times, and
// 200 lone incidents at noon at least 8 km away. 2025-03-07 is a Friday.
//   Fridays 21:xx: 12, Fridays 22:xx: 10      -> Fri 21:00-23:00, 22 incidents
//   Sundays 23:30: 8, Mondays 00:30: 7        -> Sun 23:00-01:00, 15 (wraps into Monday)
//   Wednesdays 15:10: 9                       -> Wed 14:00-16:00, 9 (ties with 15:00-17:00: the earlier start)
//   Tuesdays 10:00: 3                         (too few for a window; withheld when published, and then
//                                              Monday 00:00's 7 too, the smallest other: secondary suppression)
// and 5 lone incidents in April, so April is stored but quiet in the cluster.
std::string force_export_csv() {
    std::string csv = "Incident Ref,Date Reported,Incident Type,NSIR Qualifier,Easting,Northing,Street\n";
    int ref = 0;
    auto add = [&](int day, int month, int hour, int minute, double e, double n, const char* street) {
        char line[200];
        std::snprintf(line, sizeof line, "DC-%05d,%02d/%02d/2025 %02d:%02d,ASB,Nuisance,%.0f,%.0f,%s\n", ref++, day,
                      month, hour, minute, e, n, street);
        csv += line;
    };
    const int fridays[] = {7, 14, 21, 28}, sundays[] = {2, 9, 16, 23}, mondays[] = {3, 10, 17, 24, 31},
              wednesdays[] = {5, 12, 19, 26};
    auto cluster = [&](int k, int& e, int& n) {
        e = 435200 + (k % 4) * 15;
        n = 336200 + (k % 3) * 15;
    };
    int k = 0, e = 0, n = 0;
    for (int i = 0; i < 12; ++i, ++k) {
        cluster(k, e, n);
        add(fridays[i % 4], 3, 21, 5 * (i % 10), e, n, "Albert Street");
    }
    for (int i = 0; i < 10; ++i, ++k) {
        cluster(k, e, n);
        add(fridays[i % 4], 3, 22, 5 * (i % 10), e, n, "Albert Street");
    }
    for (int i = 0; i < 8; ++i, ++k) {
        cluster(k, e, n);
        add(sundays[i % 4], 3, 23, 30, e, n, "Albert Street");
    }
    for (int i = 0; i < 7; ++i, ++k) {
        cluster(k, e, n);
        add(mondays[i % 5], 3, 0, 30, e, n, "Corn Market");
    }
    for (int i = 0; i < 9; ++i, ++k) {
        cluster(k, e, n);
        add(wednesdays[i % 4], 3, 15, 10, e, n, "Corn Market");
    }
    const int tuesdays[] = {4, 11, 18};
    for (int i = 0; i < 3; ++i, ++k) {
        cluster(k, e, n);
        add(tuesdays[i], 3, 10, 0, e, n, "Corn Market");
    }
    for (int i = 0; i < 200; ++i) {
        add(1 + i % 28, 3, 12, 0, 415000 + (i % 20) * 1000, 345000 + (i / 20) * 1000, "Side Road");
    }
    for (int i = 0; i < 5; ++i) {
        add(10 + i, 4, 12, 0, 415000 + i * 2000, 355000, "Side Road");
    }
    return csv;
}

void ingest_force_export(hotref::store::Store& store, const t::TempDir& tmp) {
    t::write_file(tmp.file("export.csv"), force_export_csv());
    hotref::ingest::IngestOptions io;
    io.mapping = hotref::ingest::ExportMapping::from_file(t::data("export/mapping.json"));
    hotref::ingest::Ingester ingester{store, std::move(io)};
    for (const auto& f : hotref::ingest::plan_inputs({tmp.file("export.csv")}, true).files) {
        REQUIRE(ingester.ingest(f).rows_stored == 254);
    }
}

} // namespace

TEST_CASE("bulletin: patrol windows are the busiest non-overlapping two-hour windows, wrapping over midnight") {
    std::array<double, 168> week{};
    auto at = [&week](int day, int hour) -> double& { return week[static_cast<std::size_t>(day * 24 + hour)]; };
    at(4, 21) = 12; // Fri 21
    at(4, 22) = 10; // Fri 22
    at(6, 23) = 8;  // Sun 23
    at(0, 0) = 7;   // Mon 00: the window from Sun 23:00 wraps into Monday
    at(2, 15) = 9;  // Wed 15: 14-16 and 15-17 tie; the earlier start wins
    const auto w = patrol_windows(week, 3, 2);
    REQUIRE(w.size() == 3);
    CHECK(window_label(w[0]) == "Fri 21:00-23:00");
    CHECK(w[0].incidents == 22);
    CHECK(window_label(w[1]) == "Sun 23:00-01:00");
    CHECK(w[1].incidents == 15);
    CHECK(window_label(w[2]) == "Wed 14:00-16:00");
    CHECK(w[2].incidents == 9);
    // Fri 20:00-22:00 (12) and Fri 22:00-24:00 (10) overlap the first window and are never chosen.
    for (const auto& x : w) {
        CHECK(!(x.weekday == 4 && (x.hour == 20 || x.hour == 22)));
    }
    // A quiet week: windows without incidents are never recommended.
    std::array<double, 168> quiet{};
    quiet[30] = 1; // Tue 06:00: windows from Tue 05:00 and Tue 06:00 both hold it; the earlier wins
    const auto one = patrol_windows(quiet, 3, 2);
    REQUIRE(one.size() == 1);
    CHECK(window_label(one[0]) == "Tue 05:00-07:00");
    CHECK(patrol_windows(std::array<double, 168>{}, 3, 2).empty());
    CHECK_THROWS_AS(patrol_windows(week, 3, 0), hotref::UsageError);
}

TEST_CASE("bulletin: the real Derbyshire bulletin, checked as PDF text, rendered pixels and HTML") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    t::ingest_geodata(store);
    const auto run = hotref::hotspot::run_hotspots(store, t::force_area_gistar(250));
    REQUIRE(run.hotspots.size() >= 5);

    BulletinOptions opt;
    opt.out_dir = tmp.file("out");
    opt.valid_from = "2026-01-05";
    const auto r = write_bulletin(store, opt);
    CHECK(r.run_id == run.run_id);
    CHECK(r.period_from == "2025-12"); // the run's last month
    CHECK(r.hotspots == 5);
    CHECK(r.seconds > 0);
    REQUIRE(std::filesystem::exists(r.pdf));
    REQUIRE(std::filesystem::exists(r.html));
    CHECK(pdf_pages(r.pdf) == 2);

    // What the planner reads: the top hotspot's name and its December count, from SQL on the store.
    std::string name, code;
    {
        hotref::store::Statement st{store.db(), "SELECT name, code FROM hotspot WHERE run_id = ? AND rank = 1"};
        st.bind(1, run.run_id);
        REQUIRE(st.step());
        name = st.column_text(0);
        code = st.column_text(1);
    }
    const long long dec = hotspot_month_count(store, run.run_id, 1, "2025-12");
    const long long nov = hotspot_month_count(store, run.run_id, 1, "2025-11");
    REQUIRE(dec >= 5);
    REQUIRE(nov >= 5);
    const auto layout = pdf_text(r.pdf, true);
    std::string row;
    {
        std::istringstream lines{layout};
        for (std::string line; std::getline(lines, line);) {
            if (t::contains(line, code) && t::contains(line, name.substr(0, 12))) {
                row = line;
                break;
            }
        }
    }
    INFO("table row: " << row);
    REQUIRE(!row.empty());
    CHECK(t::contains(row, " " + with_commas(dec) + " "));
    const long long d = dec - nov;
    const std::string minus = "\xE2\x88\x92";
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.0f%%", std::fabs(100.0 * static_cast<double>(d) / static_cast<double>(nov)));
    CHECK(t::contains(row,
                      (d < 0 ? minus : "+") + with_commas(std::llabs(d)) + " (" + (d < 0 ? minus : "+") + pct + ")"));
    CHECK(t::contains(row, "95%"));     // Gi* confidence of a hotspot at the default level
    CHECK(t::contains(row, "no data")); // December 2024 is not in the store

    const auto text = pdf_text(r.pdf);
    CHECK(t::contains(text, "OFFICIAL"));
    CHECK(t::contains(text, "ASB patrol bulletin: Derbyshire Constabulary"));
    CHECK(t::contains(text, "December 2025"));
    CHECK(t::contains(text, "Valid 2026-01-05 to 2026-02-04"));
    CHECK(t::contains(text, "Contains public sector information licensed under the Open Government Licence v3.0"));
    CHECK(t::contains(text, "Crown copyright and database right 2011"));
    CHECK(t::contains(text, "Koper, C. S. (1995). Just enough police presence"));
    CHECK(t::contains(text, "Justice Quarterly, 12(4)"));
    CHECK(t::contains(text, "about 15 minutes"));
    CHECK(t::contains(text, "police.uk publishes months only")); // no times: the monthly trend instead
    CHECK(t::contains(text, "Page 2 of 2"));
    CHECK(t::contains(text, "DERBYSHIRE DALES")); // district names from geodata

    // Rendered: the top hotspots' red is on both pages (map and insets), and the marking is black text.
    const auto red = pixels_like(r.pdf, {204, 26, 31}, 40);
    REQUIRE(red.size() == 2);
    CHECK(red[0] > 30);
    CHECK(red[1] > 100);

    // HTML: self-contained (inline SVG, no external files), unique ids, the same facts.
    const auto html = t::read_file(r.html);
    CHECK(t::contains(html, "<svg"));
    CHECK(!t::contains(html, "<img"));
    CHECK(!t::contains(html, "src=\""));
    CHECK(!t::contains(html, "href=\"http"));
    CHECK(t::contains(html, "@media print"));
    CHECK(t::contains(html, ">" + code + "<"));
    CHECK(t::contains(html, ">" + with_commas(dec) + "<"));
    CHECK(t::contains(html, "OFFICIAL"));
    std::set<std::string> ids;
    int duplicates = 0;
    for (const auto& id : values_after(html, " id=\"", '"')) {
        duplicates += ids.insert(id).second ? 0 : 1;
    }
    CHECK(ids.size() > 10);
    CHECK(duplicates == 0);
    // Every reference inside the inline SVGs (glyphs, clips) resolves to an id of the page.
    int dangling = 0, references = 0;
    for (const auto& [prefix, end] : {std::pair<std::string, char>{"href=\"#", '"'}, {"url(#", ')'}}) {
        for (const auto& ref : values_after(html, prefix, end)) {
            ++references;
            dangling += ids.count(ref) == 0 ? 1 : 0;
        }
    }
    CHECK(references > 10);
    CHECK(dangling == 0);

    // In memory, for the service: the same documents, nothing written.
    {
        BulletinOptions mem;
        mem.out_dir = tmp.file("never-made");
        const auto docs = render_bulletin(store, mem);
        CHECK(docs.pdf.rfind("%PDF-", 0) == 0);
        CHECK(docs.html.rfind("<!DOCTYPE html>", 0) == 0);
        CHECK(docs.report.pdf.empty());
        CHECK(docs.report.hotspots == 5);
        CHECK(!std::filesystem::exists(tmp.file("never-made")));
        t::write_file(tmp.file("mem.pdf"), docs.pdf);
        CHECK(pdf_pages(tmp.file("mem.pdf")) == 2);
        CHECK(t::contains(pdf_text(tmp.file("mem.pdf")), code + " " + name));
    }

    // Twenty hotspots: the table continues on a page of its own, then four pages of close-ups.
    {
        BulletinOptions many;
        many.out_dir = tmp.file("many");
        many.top = 20;
        const auto big = write_bulletin(store, many);
        CHECK(pdf_pages(big.pdf) == 6);
        const auto many_text = pdf_text(big.pdf);
        CHECK(t::contains(many_text, "Top 20 hotspots of " + std::to_string(run.hotspots.size())));
        CHECK(t::contains(many_text, "continued"));
        CHECK(t::contains(many_text, run.hotspots[19].code));
        CHECK(t::contains(many_text, "Page 6 of 6"));
    }

    // Bad input: a missing run, a period the store does not hold, dates on police.uk data.
    opt.run_id = 999;
    CHECK_THROWS_WITH_AS(write_bulletin(store, opt), doctest::Contains("no run 999 in the store"), hotref::Error);
    opt.run_id = 0;
    opt.from = opt.to = "2024-06";
    CHECK_THROWS_WITH_AS(
        write_bulletin(store, opt),
        doctest::Contains("holds no police.uk incidents for 2024-06 to 2024-06 (it holds 2025-01 to 2025-12)"),
        hotref::Error);
    opt.from = "2025-03-03";
    opt.to = "2025-03-09";
    CHECK_THROWS_WITH_AS(write_bulletin(store, opt), doctest::Contains("which has months only"), hotref::UsageError);

    // With an evaluation of the run, each hotspot says how it changed: counts checked with SQL.
    {
        hotref::evaluate::EvaluateOptions eo;
        eo.run_id = run.run_id;
        eo.date = "2025-07";
        eo.months = 6;
        const auto ev = hotref::evaluate::evaluate_run(store, eo);
        long long before = 0, after = 0;
        for (int m = 1; m <= 12; ++m) {
            char month[8];
            std::snprintf(month, sizeof month, "2025-%02d", m);
            (m <= 6 ? before : after) += hotspot_month_count(store, run.run_id, 1, month);
        }
        BulletinOptions again;
        again.out_dir = tmp.file("evaluated");
        const auto evaluated = pdf_text(write_bulletin(store, again).pdf);
        CHECK(t::contains(evaluated, "Last evaluated (evaluation " + std::to_string(ev.evaluation_id) + " (run " +
                                         std::to_string(run.run_id) +
                                         "), 2025-01 to 2025-06 against 2025-07 to 2025-12): " + with_commas(before) +
                                         " to " + with_commas(after)));
        CHECK(t::contains(evaluated, "All hotspots, evaluation " + std::to_string(ev.evaluation_id)));
    }

    // The command line: the same bulletin, and exit codes.
    const auto ok = t::run_hotref("bulletin --store '" + tmp.file("s.sqlite") + "' --month 2025-11 --top 3 --out '" +
                                  tmp.file("cli") + "' --name nov");
    CHECK(ok.code == 0);
    CHECK(t::contains(ok.out, "bulletin for 2025-11 from run " + std::to_string(run.run_id) + ": 3 hotspot(s)"));
    CHECK(std::filesystem::exists(tmp.file("cli/nov.pdf")));
    CHECK(t::contains(pdf_text(tmp.file("cli/nov.pdf")), "November 2025"));
    const auto missing =
        t::run_hotref("bulletin --store '" + tmp.file("s.sqlite") + "' --run 999 --out '" + tmp.file("cli") + "'");
    CHECK(missing.code == 1);
    CHECK(t::contains(missing.err, "hotref bulletin: error: no run 999 in the store"));
    CHECK(t::run_hotref("bulletin --store '" + tmp.file("s.sqlite") + "' --month 2025-13").code == 2);
    CHECK(t::run_hotref("bulletin --store '" + tmp.file("s.sqlite") + "' --month 2025-11 --week 2025-11-03").code == 2);
    CHECK(t::run_hotref("bulletin --store '" + tmp.file("s.sqlite") + "' --top 0").code == 2);
}

TEST_CASE("bulletin: force-export times give day-of-week x hour tables and the windows computed by hand") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    ingest_force_export(store, tmp);
    hotref::hotspot::HotspotOptions hs;
    hs.cell_size = 250;
    hs.from = hs.to = "2025-03";
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE(!run.hotspots.empty());
    CHECK(run.hotspots.front().name.find("Albert Street") == 0);

    BulletinOptions opt;
    opt.out_dir = tmp.file("out");
    opt.profile = Profile::internal;
    opt.top = 1;
    const auto r = write_bulletin(store, opt);
    CHECK(r.period_from == "2025-03");
    const auto text = pdf_text(r.pdf);
    CHECK(t::contains(text, "OFFICIAL-SENSITIVE"));
    CHECK(t::contains(text, "When: incidents by day and hour"));
    CHECK(t::contains(text,
                      "Fri 21:00-23:00 (22 incidents); Sun 23:00-01:00 (15 incidents); Wed 14:00-16:00 (9 incidents)"));
    CHECK(t::contains(text, "incident export (force data, not open data)"));
    const auto html = t::read_file(r.html);
    CHECK(t::contains(html,
                      "Fri 21:00-23:00 (22 incidents); Sun 23:00-01:00 (15 incidents); Wed 14:00-16:00 (9 incidents)"));
    CHECK(t::contains(html, "class=\"win\""));

    // A hotspot without a name is named after its busiest place (here Albert Street, 3 incidents at one point).
    store.db().exec("UPDATE hotspot SET name = NULL WHERE run_id = " + std::to_string(run.run_id));
    {
        const auto unnamed = pdf_text(write_bulletin(store, opt).pdf, true);
        bool named = false;
        std::istringstream lines{unnamed};
        for (std::string line; std::getline(lines, line);) {
            named = named || (t::contains(line, run.hotspots.front().code) && t::contains(line, "Albert Street"));
        }
        CHECK(named);
    }

    // Published: Tuesday 10:00 (3) is withheld, and Monday 00:00 (7) with it, so the window through
    // Monday 00:00 keeps its place but not its count; the internal bulletin above showed 15.
    opt.profile = Profile::published;
    const auto published = write_bulletin(store, opt);
    const auto published_text = pdf_text(published.pdf);
    CHECK(
        t::contains(published_text,
                    "Fri 21:00-23:00 (22 incidents); Sun 23:00-01:00 (count withheld); Wed 14:00-16:00 (9 incidents)"));
    CHECK(t::contains(published_text, "Shaded without a number: withheld (under 5"));
    CHECK(!t::contains(published_text, "15 incidents"));
    opt.profile = Profile::internal;

    // This run had no --area: the map draws the bundled districts of the derived force area,
    // and a bad --boundaries is an error.
    CHECK(!t::contains(pdf_text(r.pdf), "District boundaries not drawn"));
    {
        BulletinOptions bad = opt;
        bad.boundaries = tmp.file("nowhere.gpkg");
        CHECK_THROWS_WITH_AS(write_bulletin(store, bad), doctest::Contains("no such boundaries file"), hotref::Error);
        BulletinOptions good = opt;
        good.boundaries = t::geodata("derbyshire_force_area.gpkg");
        const auto with_districts = pdf_text(write_bulletin(store, good).pdf);
        CHECK(t::contains(with_districts, "AMBER VALLEY"));
        CHECK(!t::contains(with_districts, "District boundaries not drawn"));
    }

    // A week as the period, by dates; a hotspot with no incidents in it.
    opt.from = "2025-03-01";
    opt.to = "2025-03-07";
    const auto week = write_bulletin(store, opt);
    CHECK(t::contains(pdf_text(week.pdf), "2025-03-01 to 2025-03-07"));

    // The same from the command line with --week.
    const auto cli = t::run_hotref("bulletin --store '" + tmp.file("s.sqlite") + "' --week 2025-03-03 --top 1 --out '" +
                                   tmp.file("cli") + "'");
    CHECK(cli.code == 0);
    CHECK(t::contains(cli.out, "bulletin for 2025-03-03 to 2025-03-09 from run " + std::to_string(run.run_id)));
    CHECK(t::contains(pdf_text(tmp.file("cli/bulletin.pdf")), "2025-03-03 to 2025-03-09"));

    // April is stored (lone incidents elsewhere) but the hotspot had none: a stated zero, never an empty page.
    opt.from = opt.to = "2025-04";
    opt.profile = Profile::published;
    const auto april = write_bulletin(store, opt);
    const auto april_text = pdf_text(april.pdf, true);
    std::string row;
    {
        std::istringstream lines{april_text};
        for (std::string line; std::getline(lines, line);) {
            if (t::contains(line, run.hotspots.front().code) && t::contains(line, "Albert Street")) {
                row = line;
                break;
            }
        }
    }
    INFO("row: " << row);
    CHECK(t::contains(row, " 0 "));
    CHECK(t::contains(row, "\xE2\x88\x92"
                           "49 (\xE2\x88\x92"
                           "100%)")); // against March's 49
    CHECK(pdf_pages(april.pdf) == 2);
}

TEST_CASE("bulletin: a run without hotspots gives a one-page bulletin that says so") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    ingest_force_export(store, tmp);
    hotref::hotspot::HotspotOptions hs;
    hs.method = "dbscan";
    hs.eps = 50;
    hs.min_pts = 1000; // more than all the incidents: no cluster
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE(run.hotspots.empty());
    BulletinOptions opt;
    opt.method = "dbscan";
    opt.out_dir = tmp.file("out");
    const auto r = write_bulletin(store, opt);
    CHECK(r.hotspots == 0);
    REQUIRE(!r.notes.empty());
    CHECK(t::contains(r.notes.front(), "found no hotspots"));
    CHECK(pdf_pages(r.pdf) == 1);
    const auto text = pdf_text(r.pdf);
    CHECK(t::contains(text, "No hotspots to brief on"));
    CHECK(t::contains(text, "found no hotspots"));
    CHECK(t::contains(text, "OFFICIAL"));
    CHECK(t::contains(t::read_file(r.html), "No hotspots to brief on"));
}
