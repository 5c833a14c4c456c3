#include "core/error.hpp"
#include "evaluate/evaluation.hpp"
#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "publish/bulletin.hpp"
#include "publish/bulletin_model.hpp"
#include "publish/model.hpp"
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
#include <map>
#include <optional>
#include <regex>
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


// --- the published HTML as an attacker reads it ---

std::string strip_tags(const std::string& html) {
    std::string out;
    bool tag = false;
    for (const char ch : html) {
        if (ch == '<') {
            tag = true;
        } else if (ch == '>') {
            tag = false;
        } else if (!tag) {
            out += ch;
        }
    }
    for (const auto& [entity, text] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"},
                                        {"&quot;", "\""}, {"&amp;", "&"}}) {
        for (auto p = out.find(entity); p != std::string::npos; p = out.find(entity, p + text.size())) {
            out.replace(p, entity.size(), text);
        }
    }
    return out;
}

// The rows of the top-N table (<table>\n<tr><th ...): each row's cells as text.
std::vector<std::vector<std::string>> top_table(const std::string& html) {
    std::vector<std::vector<std::string>> rows;
    const auto start = html.find("<table>\n<tr><th");
    REQUIRE(start != std::string::npos);
    const auto stop = html.find("</table>", start);
    for (auto r = html.find("<tr><td", start); r != std::string::npos && r < stop; r = html.find("<tr><td", r + 1)) {
        const auto end = html.find("</tr>", r);
        std::vector<std::string> cells;
        for (auto c = html.find("<td", r); c != std::string::npos && c < end; c = html.find("<td", c + 1)) {
            const auto open = html.find('>', c) + 1;
            cells.push_back(strip_tags(html.substr(open, html.find("</td>", open) - open)));
        }
        rows.push_back(std::move(cells));
    }
    return rows;
}

// A printed count: "1,234" -> 1234; "<5" (withheld) -> nullopt.
std::optional<double> printed_count(std::string text) {
    text.erase(std::remove(text.begin(), text.end(), ','), text.end());
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) {
        return std::nullopt;
    }
    return std::stod(text);
}

// A printed change "+12 (+25%)", "\u221212 (...)", "\u00b10": the difference; nullopt when not a number.
std::optional<double> printed_change(const std::string& text) {
    const std::string minus = "\xE2\x88\x92", plusminus = "\xC2\xB1";
    double sign = 1;
    std::string rest;
    if (text.rfind("+", 0) == 0) {
        rest = text.substr(1);
    } else if (text.rfind(minus, 0) == 0) {
        sign = -1;
        rest = text.substr(minus.size());
    } else if (text.rfind(plusminus, 0) == 0) {
        rest = text.substr(plusminus.size());
    } else {
        return std::nullopt;
    }
    const auto n = printed_count(rest.substr(0, rest.find(' ')));
    return n ? std::optional<double>{sign * *n} : std::nullopt;
}

// One hotspot's panel of the HTML page.
struct Panel {
    std::string code;
    std::optional<double> now, run_total;       // "N incidents in <period> (T in <evidence>)"
    std::vector<std::pair<std::string, std::optional<double>>> months; // the trend table
};

std::vector<Panel> panels(const std::string& html) {
    std::vector<Panel> out;
    for (auto p = html.find("<section class=\"hotspot\">"); p != std::string::npos;
         p = html.find("<section class=\"hotspot\">", p + 1)) {
        const auto end = html.find("</section>", p);
        const auto section = html.substr(p, end - p);
        Panel panel;
        const auto h3 = section.find("</span> ", section.find("<h3>")) + 8;
        panel.code = section.substr(h3, section.find(' ', h3) - h3);
        const auto facts = strip_tags(section.substr(section.find("<p class=\"small\">", section.find("</h3>"))));
        panel.now = printed_count(facts.substr(0, facts.find(' ')));
        const auto paren = facts.find(" (");
        panel.run_total = printed_count(facts.substr(paren + 2, facts.find(' ', paren + 2) - paren - 2));
        for (const auto& m : values_after(section, "<td data-month=\"", '<')) {
            const auto q = m.find('"');
            panel.months.emplace_back(m.substr(0, q), printed_count(strip_tags(m.substr(q + 2))));
        }
        out.push_back(std::move(panel));
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
        connection(store),
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
    hotref::store::Store store{tmp.store(), true};
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
    CHECK(pdf_pages(r.pdf) == 3); // the map and table; the districts; the five hotspots close up

    // What the planner reads: the top hotspot's name and its December count, from SQL on the store.
    std::string name, code;
    {
        hotref::store::Statement st{connection(store), "SELECT name, code FROM hotspot WHERE run_id = ? AND rank = 1"};
        st.bind(1, run.run_id);
        REQUIRE(st.step());
        name = st.column_text(0);
        code = st.column_text(1);
    }
    const long long dec = hotspot_month_count(store, run.run_id, 1, "2025-12");
    const long long nov = hotspot_month_count(store, run.run_id, 1, "2025-11");
    REQUIRE(dec >= 5);
    REQUIRE(nov >= 5);
    // The internal profile prints the true figures: the table row checked exactly.
    BulletinOptions internal_opt = opt;
    internal_opt.profile = Profile::internal;
    internal_opt.out_dir = tmp.file("internal");
    const auto internal_r = write_bulletin(store, internal_opt);
    const auto layout = pdf_text(internal_r.pdf, true);
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
    CHECK(t::contains(pdf_text(internal_r.pdf), "OFFICIAL-SENSITIVE"));
    CHECK(t::contains(t::read_file(internal_r.html), ">" + with_commas(dec) + "<"));

    // Published: the same row from the sdc table, each count within +/-2 of the truth, the change
    // computed from the published counts (so within +/-4 of the true change).
    {
        const auto rows = top_table(t::read_file(r.html));
        REQUIRE(!rows.empty());
        REQUIRE(rows[0].size() >= 6);
        CHECK(rows[0][1] == code);
        const auto now = printed_count(rows[0][3]);
        REQUIRE(now);
        CHECK(std::abs(*now - static_cast<double>(dec)) <= 2);
        const auto change = printed_change(rows[0][4]);
        REQUIRE(change);
        CHECK(std::abs(*change - static_cast<double>(d)) <= 4);
        CHECK(rows[0][5] == "no data");
    }

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
    CHECK(t::contains(text, "Page 3 of 3"));
    CHECK(t::contains(text, "DERBYSHIRE DALES")); // district names from geodata
    CHECK(t::contains(text, "Districts: incidents this period and the current hotspots"));

    // Rendered: the top hotspots' red is on the map and insets pages, not the districts', and the
    // marking is black text.
    const auto red = pixels_like(r.pdf, {204, 26, 31}, 40);
    REQUIRE(red.size() == 3);
    CHECK(red[0] > 30);
    CHECK(red[1] == 0);
    CHECK(red[2] > 100);

    // HTML: self-contained (inline SVG, no external files), unique ids, the same facts.
    const auto html = t::read_file(r.html);
    CHECK(t::contains(html, "<svg"));
    CHECK(!t::contains(html, "<img"));
    CHECK(!t::contains(html, "src=\""));
    CHECK(!t::contains(html, "href=\"http"));
    CHECK(t::contains(html, "@media print"));
    CHECK(t::contains(html, ">" + code + "<"));
    CHECK(t::contains(html, "OFFICIAL"));
    CHECK(!t::contains(html, "OFFICIAL-SENSITIVE"));
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
        CHECK(pdf_pages(tmp.file("mem.pdf")) == 3);
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
        again.profile = Profile::internal; // the true counts; published ones below
        const auto evaluated = pdf_text(write_bulletin(store, again).pdf);
        CHECK(t::contains(evaluated, "Last evaluated (evaluation " + std::to_string(ev.evaluation_id) + " (run " +
                                         std::to_string(run.run_id) +
                                         "), 2025-01 to 2025-06 against 2025-07 to 2025-12): " + with_commas(before) +
                                         " to " + with_commas(after)));
        CHECK(t::contains(evaluated, "All hotspots, evaluation " + std::to_string(ev.evaluation_id)));
        // Published: the target counts from the sdc table, within +/-2 of the truth.
        BulletinOptions pub;
        pub.out_dir = tmp.file("evaluated-published");
        const auto published_html = t::read_file(write_bulletin(store, pub).html);
        const std::regex counted{"Last evaluated \\(evaluation [0-9]+ \\(run [0-9]+\\), 2025-01 to 2025-06 against "
                                 "2025-07 to 2025-12\\): ([0-9,]+) to ([0-9,]+)"};
        std::smatch got;
        REQUIRE(std::regex_search(published_html, got, counted));
        CHECK(std::abs(*printed_count(got[1].str()) - static_cast<double>(before)) <= 2);
        CHECK(std::abs(*printed_count(got[2].str()) - static_cast<double>(after)) <= 2);
        CHECK(t::contains(published_html, "published counts (within +/-2)"));
    }

    // The command line: the same bulletin, and exit codes.
    const auto ok = t::run_hotref("bulletin --store '" + tmp.store() + "' --month 2025-11 --top 3 --out '" +
                                  tmp.file("cli") + "' --name nov");
    CHECK(ok.code == 0);
    CHECK(t::contains(ok.out, "bulletin for 2025-11 from run " + std::to_string(run.run_id) + ": 3 hotspot(s)"));
    CHECK(std::filesystem::exists(tmp.file("cli/nov.pdf")));
    CHECK(t::contains(pdf_text(tmp.file("cli/nov.pdf")), "November 2025"));
    const auto missing =
        t::run_hotref("bulletin --store '" + tmp.store() + "' --run 999 --out '" + tmp.file("cli") + "'");
    CHECK(missing.code == 1);
    CHECK(t::contains(missing.err, "hotref bulletin: error: no run 999 in the store"));
    CHECK(t::run_hotref("bulletin --store '" + tmp.store() + "' --month 2025-13").code == 2);
    CHECK(t::run_hotref("bulletin --store '" + tmp.store() + "' --month 2025-11 --week 2025-11-03").code == 2);
    CHECK(t::run_hotref("bulletin --store '" + tmp.store() + "' --top 0").code == 2);
}

TEST_CASE("bulletin: force-export times give day-of-week x hour tables and the windows computed by hand") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
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
    connection(store).exec("UPDATE hotspot SET name = NULL WHERE run_id = " + std::to_string(run.run_id));
    {
        const auto unnamed = pdf_text(write_bulletin(store, opt).pdf, true);
        bool named = false;
        std::istringstream lines{unnamed};
        for (std::string line; std::getline(lines, line);) {
            named = named || (t::contains(line, run.hotspots.front().code) && t::contains(line, "Albert Street"));
        }
        CHECK(named);
    }

    // Published: the windows come from the published (perturbed) cells: Tuesday 10:00 (3) is withheld
    // and never makes a window; every window shown holds at least 5 incidents, and the busiest is
    // still Friday night, its count within +/-4 of the 22 (two cells, each within +/-2).
    opt.profile = Profile::published;
    const auto published = write_bulletin(store, opt);
    const auto published_text = pdf_text(published.pdf);
    CHECK(t::contains(published_text, "Shaded without a number: withheld (under 5"));
    {
        const std::regex window{"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([0-9]{2}):00-[0-9]{2}:00 \\(([0-9,]+) incidents\\)"};
        int shown = 0;
        bool friday = false;
        for (std::sregex_iterator it{published_text.begin(), published_text.end(), window}, end; it != end; ++it) {
            ++shown;
            const double n = *printed_count((*it)[3].str());
            CHECK(n >= 5);
            CHECK(!((*it)[1].str() == "Tue" && ((*it)[2].str() == "09" || (*it)[2].str() == "10")));
            if ((*it)[1].str() == "Fri" && (*it)[2].str() == "21") {
                friday = true;
                CHECK(std::abs(n - 22) <= 4);
            }
        }
        CHECK(shown >= 1);
        CHECK(friday);
    }
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
    const auto cli = t::run_hotref("bulletin --store '" + tmp.store() + "' --week 2025-03-03 --top 1 --out '" +
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
            // Published names come from police.uk streets only: not the export's "Albert Street".
            if (t::contains(line, " " + run.hotspots.front().code + " ")) {
                row = line;
                break;
            }
        }
    }
    INFO("row: " << row);
    CHECK(!t::contains(row, "Albert Street"));
    CHECK(t::contains(row, " 0 "));
    // Against March's 49, as published (within +/-2).
    bool against_march = false;
    for (int v = 47; v <= 51; ++v) {
        against_march = against_march || t::contains(row, "\xE2\x88\x92" + std::to_string(v) +
                                                              " (\xE2\x88\x92"
                                                              "100%)");
    }
    CHECK(against_march);
    CHECK(pdf_pages(april.pdf) == 3); // the map and table; the districts; the hotspot close up
}

// A force export over January to June: one cluster of ten places with 9, 3, 12, 8, 11 and 7
// incidents in its months (February is under 5: withheld, and a second month with it), and 40
// lone incidents a month at least 8 km away, so that every month is stored. Dates only (no times):
// the bulletin then shows the monthly trend.
std::string monthly_csv() {
    std::string csv = "Incident Ref,Date Reported,Incident Type,NSIR Qualifier,Easting,Northing,Street\n";
    int ref = 0;
    auto add = [&](int day, int month, double e, double n) {
        char line[200];
        std::snprintf(line, sizeof line, "DC-%05d,%02d/%02d/2025,ASB,Nuisance,%.0f,%.0f,Some Street\n", ref++,
                      day, month, e, n);
        csv += line;
    };
    const int per_month[] = {9, 3, 12, 8, 11, 7};
    int k = 0;
    for (int month = 1; month <= 6; ++month) {
        for (int i = 0; i < per_month[month - 1]; ++i, ++k) {
            add(1 + i, month, 435200 + (k % 5) * 15, 336200 + (k / 5 % 2) * 15);
        }
        for (int i = 0; i < 40; ++i) {
            add(1 + i % 28, month, 415000 + (i % 10) * 1000 + month * 100, 345000 + (i / 10) * 1000);
        }
    }
    return csv;
}

TEST_CASE("bulletin: published trends, totals and changes leave every withheld month at least 5 wide") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::write_file(tmp.file("export.csv"), monthly_csv());
    {
        auto mapping = t::read_file(t::data("export/mapping.json"));
        const std::string timed = "\"%d/%m/%Y %H:%M\"";
        REQUIRE(mapping.find(timed) != std::string::npos);
        mapping.replace(mapping.find(timed), timed.size(), "\"%d/%m/%Y\"");
        t::write_file(tmp.file("mapping.json"), mapping);
        hotref::ingest::IngestOptions io;
        io.mapping = hotref::ingest::ExportMapping::from_file(tmp.file("mapping.json"));
        hotref::ingest::Ingester ingester{store, std::move(io)};
        for (const auto& f : hotref::ingest::plan_inputs({tmp.file("export.csv")}, true).files) {
            REQUIRE(ingester.ingest(f).rows_stored == 290);
        }
    }
    hotref::hotspot::HotspotOptions hs;
    hs.cell_size = 250;
    hs.from = "2025-01";
    hs.to = "2025-06";
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE(!run.hotspots.empty());

    // The attacker reads every published bulletin of the year: each hotspot's total for the run,
    // its printed months, its count for the period and the change against the previous month. Each
    // printed count is taken to be within +/-2 of the truth (at least 5 when printed: smaller ones are
    // withheld); withheld months are at least 0. Plain arithmetic, not hotref's audit.
    int withheld_months = 0, period_months_withheld = 0;
    std::map<std::pair<std::string, std::string>, std::optional<double>> seen; // (code, month) -> printed
    int inconsistent = 0;
    for (int month = 2; month <= 6; ++month) {
        char period[8], before[8];
        std::snprintf(period, sizeof period, "2025-%02d", month);
        std::snprintf(before, sizeof before, "2025-%02d", month - 1);
        BulletinOptions opt;
        opt.from = opt.to = period;
        opt.top = 10; // the lone incidents make hotspots of their own; the cluster is among them
        opt.pdf = false;
        opt.out_dir = tmp.file(std::string{"b"} + period);
        const auto html = t::read_file(write_bulletin(store, opt).html);
        const auto rows = top_table(html);
        const auto items = panels(html);
        REQUIRE(items.size() == rows.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            const auto& item = items[i];
            REQUIRE(rows[i][1] == item.code);
            const auto table_now = printed_count(rows[i][3]);
            const auto change = printed_change(rows[i][4]);
            auto lo_of = [](double p) { return p == 0 ? 0.0 : std::max(5.0, p - 2); };
            double sum_lo = 0, sum_hi = 0;
            int withheld = 0;
            std::optional<double> printed_period, printed_before;
            for (const auto& [m, v] : item.months) {
                if (v) {
                    sum_lo += lo_of(*v);
                    sum_hi += *v + 2;
                } else {
                    ++withheld;
                }
                if (m == period) {
                    printed_period = v;
                }
                if (m == before) {
                    printed_before = v;
                }
                // Two bulletins print the same figure for the same hotspot and month.
                const auto [it, fresh] = seen.emplace(std::pair{item.code, m}, v);
                inconsistent += !fresh && it->second != v ? 1 : 0;
            }
            for (const auto& [m, v] : item.months) {
                if (v) {
                    continue;
                }
                ++withheld_months;
                double lo = 0, hi = std::numeric_limits<double>::infinity();
                if (item.run_total) {
                    hi = *item.run_total + 2 - sum_lo;
                    lo = std::max(0.0, *item.run_total - 2 - sum_hi - (withheld - 1) * hi);
                }
                auto narrow = [&](double a, double b) {
                    lo = std::max(lo, a);
                    hi = std::min(hi, b);
                };
                if (m == period) {
                    ++period_months_withheld;
                    for (const auto& n : {item.now, table_now}) {
                        if (n) {
                            narrow(*n - 2, *n + 2);
                        }
                    }
                    if (change && printed_before) {
                        narrow(*printed_before + *change - 2, *printed_before + *change + 2);
                    }
                }
                if (m == before && change) {
                    for (const auto& n : {item.now, table_now, printed_period}) {
                        if (n) {
                            narrow(*n - *change - 2, *n - *change + 2);
                        }
                    }
                }
                const auto month_key = m; // clang 14 cannot capture a structured binding in INFO's lambda
                INFO(period << " " << item.code << " " << month_key << ": [" << lo << ", " << hi << "]");
                CHECK(hi - lo >= 5);
            }
        }
    }
    MESSAGE(withheld_months << " withheld months, " << period_months_withheld << " of them the bulletin's own month");
    CHECK(withheld_months > 0);
    CHECK(period_months_withheld > 0);
    CHECK(inconsistent == 0);

    // The internal profile prints the true months.
    BulletinOptions internal;
    internal.profile = Profile::internal;
    internal.from = internal.to = "2025-06";
    internal.top = 10;
    internal.pdf = false;
    internal.out_dir = tmp.file("internal");
    const auto internal_html = t::read_file(write_bulletin(store, internal).html);
    for (const auto& [m, v] : std::vector<std::pair<std::string, int>>{
             {"2025-01", 9}, {"2025-02", 3}, {"2025-03", 12}, {"2025-04", 8}, {"2025-05", 11}, {"2025-06", 7}}) {
        CHECK(t::contains(internal_html, "data-month=\"" + m + "\">" + std::to_string(v) + "<"));
    }
    CHECK(t::contains(internal_html, "7 incidents in June 2025 (50 in 2025-01 to 2025-06)"));
}

// A force export where one address, 14 Quiet Close, has three incidents at 03:15 on three
// Thursdays, inside a cluster whose other places (distinct points, one street number each) have
// one or two incidents on Friday nights, so that the address is the run's busiest named place.
std::string quiet_close_csv() {
    std::string csv = "Incident Ref,Date Reported,Incident Type,NSIR Qualifier,Easting,Northing,Street\n";
    int ref = 0;
    auto add = [&](int day, int hour, int minute, double e, double n, const std::string& street) {
        char line[200];
        std::snprintf(line, sizeof line, "DC-%05d,%02d/03/2025 %02d:%02d,ASB,Nuisance,%.0f,%.0f,%s\n", ref++, day,
                      hour, minute, e, n, street.c_str());
        csv += line;
    };
    const int fridays[] = {7, 14, 21, 28};
    for (int k = 0; k < 22; ++k) {
        const int spot = k % 12;
        add(fridays[k % 4], k < 12 ? 21 : 22, 5 * (k % 10), 435200 + (spot % 4) * 15, 336200 + (spot / 4) * 15,
            std::to_string(spot + 1) + " Albert Street");
    }
    for (const int thursday : {6, 13, 20}) {
        add(thursday, 3, 15, 435222, 336207, "14 Quiet Close");
    }
    for (int i = 0; i < 200; ++i) {
        add(1 + i % 28, 12, 0, 415000 + (i % 20) * 1000, 345000 + (i / 20) * 1000, "Side Road");
    }
    return csv;
}

TEST_CASE("bulletin: three incidents at one address give no patrol window and their free text is not published") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::write_file(tmp.file("export.csv"), quiet_close_csv());
    {
        hotref::ingest::IngestOptions io;
        io.mapping = hotref::ingest::ExportMapping::from_file(t::data("export/mapping.json"));
        hotref::ingest::Ingester ingester{store, std::move(io)};
        for (const auto& f : hotref::ingest::plan_inputs({tmp.file("export.csv")}, true).files) {
            REQUIRE(ingester.ingest(f).rows_stored == 225);
        }
    }
    hotref::hotspot::HotspotOptions hs;
    hs.cell_size = 250;
    hs.from = hs.to = "2025-03";
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE(!run.hotspots.empty());
    INFO("stored name: " << run.hotspots.front().name);
    CHECK(t::contains(run.hotspots.front().name, "Quiet Close")); // the run names it after the address

    BulletinOptions opt;
    opt.top = 1;
    // Internal: the true figures, the address's window and its name (for the force's own analysts).
    opt.profile = Profile::internal;
    opt.out_dir = tmp.file("internal");
    const auto internal = write_bulletin(store, opt);
    const auto internal_html = t::read_file(internal.html);
    CHECK(t::contains(internal_html, "Thu 02:00-04:00 (3 incidents)"));
    CHECK(t::contains(internal_html, "Quiet Close"));

    // Published: no window through Thursday night, no window under 5, and no "Quiet Close" anywhere.
    opt.profile = Profile::published;
    opt.out_dir = tmp.file("published");
    const auto published = write_bulletin(store, opt);
    const auto html = t::read_file(published.html);
    const auto text = pdf_text(published.pdf);
    CHECK(t::contains(html, "<h3>")); // the hotspot itself is published
    for (const auto& doc : {html, text}) {
        CHECK(!t::contains(doc, "Quiet Close"));
        CHECK(!t::contains(doc, "Albert Street")); // the export's free text, not police.uk streets
        CHECK(!t::contains(doc, "Thu 02:00"));
        CHECK(!t::contains(doc, "Thu 03:00"));
        const std::regex window{"[A-Z][a-z]{2} [0-9]{2}:00-[0-9]{2}:00 \\(([0-9,]+) incidents\\)"};
        for (std::sregex_iterator it{doc.begin(), doc.end(), window}, end; it != end; ++it) {
            CHECK(*printed_count((*it)[1].str()) >= 5);
        }
    }
    CHECK(t::contains(html, "(fewer are not recommended)"));
}

TEST_CASE("bulletin: a run without hotspots gives a short bulletin that says so") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
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
    CHECK(pdf_pages(r.pdf) == (r.districts.empty() ? 1 : 2)); // the map and notes; the district table
    for (const auto& d : r.districts) {
        CHECK(d.hotspots == 0);
    }
    const auto text = pdf_text(r.pdf);
    CHECK(t::contains(text, "No hotspots to brief on"));
    CHECK(t::contains(text, "found no hotspots"));
    CHECK(t::contains(text, "OFFICIAL"));
    CHECK(t::contains(t::read_file(r.html), "No hotspots to brief on"));
}

TEST_CASE("bulletin: a hotspot's total for the run is the figure the layers publish, never a second noise") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    const auto run = hotref::hotspot::run_hotspots(store, t::force_area_gistar(250));
    REQUIRE(run.hotspots.size() >= 5);
    BulletinOptions opt;
    opt.top = 10;
    opt.pdf = false;
    opt.out_dir = tmp.file("out");
    const auto html = t::read_file(write_bulletin(store, opt).html);
    // The hotspots layer as every published file and the service show it.
    hotref::publish::LoadOptions load;
    load.run_id = run.run_id;
    const auto model = hotref::publish::build_model(store, load, Profile::published, opt.rules);
    const auto* layer = model.find("hotspots");
    REQUIRE(layer != nullptr);
    std::map<std::string, std::optional<double>> layers;
    const auto code_f = static_cast<std::size_t>(layer->field("code"));
    const auto n_f = static_cast<std::size_t>(layer->field("incidents"));
    for (const auto& f : layer->features) {
        const auto* v = std::get_if<double>(&f.values[n_f]);
        layers[std::get<std::string>(f.values[code_f])] = v ? std::optional<double>{*v} : std::nullopt;
    }
    int compared = 0, perturbed = 0;
    for (const auto& p : panels(html)) {
        REQUIRE(layers.count(p.code) == 1);
        INFO(p.code);
        CHECK(p.run_total == layers[p.code]);
        std::int64_t truth = 0;
        {
            hotref::store::Statement st{connection(store),
                                        "SELECT incidents FROM hotspot WHERE run_id = ? AND code = ?"};
            st.bind(1, run.run_id).bind(2, p.code);
            REQUIRE(st.step());
            truth = st.column_int(0);
        }
        compared += 1;
        perturbed += p.run_total && *p.run_total != static_cast<double>(truth) ? 1 : 0;
    }
    MESSAGE(compared << " hotspots compared, " << perturbed << " of them carry noise");
    CHECK(compared == 10);
    CHECK(perturbed > 0); // the figures are perturbed ones, so equal noise is what is checked
}

TEST_CASE("bulletin: the top hotspots' share is of top + rest, never above 100 % (was '93 in top 3 (103%)')") {
    hotref::publish::bulletin::Model m;
    m.profile = Profile::published;
    for (const double n : {40.0, 30.0, 23.0}) {
        hotref::publish::bulletin::Item item;
        item.now = n;  // published, each with its own noise
        m.items.push_back(item);
    }
    m.total_now = 90;  // published with its own noise: below the top three's sum
    m.rest_now = 2;
    CHECK(hotref::publish::bulletin::top_share_text(m) == "93 in the top 3 hotspots (98%)");
    m.rest_now = hotref::publish::bulletin::nan;  // withheld (under 5)
    CHECK(hotref::publish::bulletin::top_share_text(m) ==
          "93 in the top 3 hotspots (nearly all: the count elsewhere is withheld)");
    m.rest_now = 0;
    CHECK(hotref::publish::bulletin::top_share_text(m) == "93 in the top 3 hotspots (100%)");
    m.items[1].now = hotref::publish::bulletin::nan;  // one withheld: no sum, no share
    CHECK(hotref::publish::bulletin::top_share_text(m) == "<5 in the top 3 hotspots");
}
