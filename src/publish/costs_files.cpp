#include "publish/costs_files.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "draw/chart.hpp"
#include "publish/styles.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace hotref::publish {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v, const char* f) {
    if (!std::isfinite(v)) {
        return "";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

void commit(const std::string& tmp, const std::string& path) {
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        throw Error(path + ": cannot write (" + ec.message() + ")");
    }
}

// One row per figure: name, unit, low, central, high.
std::vector<std::array<std::string, 5>> figures(const evaluate::CostAccount& a) {
    using S = evaluate::CostScenario;
    const std::vector<std::tuple<std::string, std::string, double S::*, const char*>> rows{
        {"programme cost", "GBP", &S::programme_cost, "%.0f"},
        {"cost per referral", "GBP", &S::cost_per_referral, "%.0f"},
        {"cost per completion", "GBP", &S::cost_per_completion, "%.0f"},
        {"reoffences avoided", "reoffences", &S::reoffences_avoided, "%.1f"},
        {"of them priced", "reoffences", &S::reoffences_priced, "%.1f"},
        {"cost per reoffence avoided", "GBP", &S::cost_per_reoffence_avoided, "%.0f"},
        {"officer hours saved", "hours", &S::officer_hours, "%.0f"},
        {"officer time value", "GBP", &S::officer_value, "%.0f"},
        {"harm avoided", "GBP", &S::harm_avoided, "%.0f"},
        {"benefit", "GBP", &S::benefit, "%.0f"},
        {"benefit-cost ratio", "ratio", &S::bcr, "%.3f"}};
    std::vector<std::array<std::string, 5>> out;
    for (const auto& [name, unit, field, f] : rows) {
        out.push_back({name, unit, fmt(a.scenarios[0].*field, f), fmt(a.scenarios[1].*field, f),
                       fmt(a.scenarios[2].*field, f)});
    }
    return out;
}

void write_csv(const evaluate::CostAccount& a, const evaluate::CostsConfig& c, const std::string& path) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
        out << "figure,unit,low,central,high,note\n";
        for (const auto& r : figures(a)) {
            out << r[0] << "," << r[1] << "," << r[2] << "," << r[3] << "," << r[4] << ","
                << (a.label.empty() ? "" : csv_quoted(a.label)) << "\n";
        }
        for (const auto& n : evaluate::costs_parameter_names()) {
            const auto& p = c.params.at(n);
            out << "parameter:" << n << ",," << fmt(p.low, "%g") << "," << fmt(p.central, "%g") << ","
                << fmt(p.high, "%g") << "," << csv_quoted(p.source) << "\n";
        }
        for (const auto& note : a.notes) {
            out << "note,,,,," << csv_quoted(note) << "\n";
        }
        if (!out.flush()) {
            throw Error(path + ": cannot write the cost account CSV");
        }
    }
    commit(tmp, path);
}

void write_chart(const evaluate::CostAccount& a, const std::string& path) {
    const auto& lo = a.scenarios[0];
    const auto& mid = a.scenarios[1];
    const auto& hi = a.scenarios[2];
    auto ratio = [&](double evaluate::CostScenario::*f, const evaluate::CostScenario& s) {
        return s.programme_cost > 0 ? s.*f / s.programme_cost : nan;
    };
    std::vector<draw::Estimate> e{
        {"benefit-cost ratio", mid.bcr, lo.bcr, hi.bcr},
        {"officer time / cost", ratio(&evaluate::CostScenario::officer_value, mid),
         ratio(&evaluate::CostScenario::officer_value, lo), ratio(&evaluate::CostScenario::officer_value, hi)},
        {"harm avoided / cost", ratio(&evaluate::CostScenario::harm_avoided, mid),
         ratio(&evaluate::CostScenario::harm_avoided, lo), ratio(&evaluate::CostScenario::harm_avoided, hi)}};
    const std::string sub = "central value, whisker from the low to the high inputs; " +
                            (a.label.empty() ? std::string{"docs/costs.md"} : a.label);
    draw::range_chart(path, "Scheme costs and outcomes: benefit per pound spent", sub, e, 1.0, "benefit = cost");
}

void write_html(const evaluate::CostAccount& a, const evaluate::CostsConfig& c, const evaluate::CostOutcomes& o,
                const referral::ComparisonResult& cmp, const std::string& chart, const std::string& path) {
    std::ostringstream h;
    h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Scheme costs and outcomes</title>"
         "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}table{border-collapse:collapse}"
         "td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}th:first-child,td:first-child{text-align:left}"
         ".label{background:#fde0dd;padding:.5em;font-weight:bold}.warn{background:#fff3cd;padding:.5em}</style>"
         "</head><body>\n<h1>Scheme costs and outcomes</h1>\n";
    if (!a.label.empty()) {
        h << "<p class=\"label\">" << xml_escape(a.label) << "</p>\n";
    }
    h << "<p>" << xml_escape(cmp.profile_note) << ". Follow-up " << o.months << " months, data to "
      << xml_escape(cmp.as_of) << "; reoffences avoided against the <b>" << xml_escape(c.comparator)
      << "</b> route (" << o.rd_basis << " risk difference"
      << (o.rd_basis == "crude" ? ": the stratified one is withheld, a stratum being small" : "") << ").</p>\n";
    for (const auto& w : cmp.warnings) {
        h << "<p class=\"warn\">" << xml_escape(w) << "</p>\n";
    }
    h << "<h2>Reoffending within " << o.months << " months</h2>\n<table><tr><th>route</th><th>people</th>"
         "<th>reoffended</th><th>95% interval</th><th>IJ minus route (stratified)</th></tr>\n";
    for (const auto& r : cmp.routes) {
        h << "<tr><td>" << xml_escape(r.route) << "</td><td>" << (std::isfinite(r.people) ? fmt(r.people, "%.0f") : "*")
          << "</td><td>" << (std::isfinite(r.reoffended.estimate) ? fmt(100 * r.reoffended.estimate, "%.1f%%") : "*")
          << "</td><td>" << fmt(100 * r.reoffended.lower, "%.1f") << "&ndash;" << fmt(100 * r.reoffended.upper, "%.1f%%")
          << "</td><td>"
          << (r.route == referral::ij_route || !std::isfinite(r.mh.estimate)
                  ? std::string{"&ndash;"}
                  : fmt(100 * r.mh.estimate, "%+.1f") + " pp (" + fmt(100 * r.mh.lower, "%+.1f") + " to " +
                        fmt(100 * r.mh.upper, "%+.1f") + ")")
          << "</td></tr>\n";
    }
    h << "</table>\n<h2>Costs and benefits</h2>\n<table><tr><th>figure</th><th>unit</th><th>low</th><th>central</th>"
         "<th>high</th></tr>\n";
    for (const auto& r : figures(a)) {
        h << "<tr><td>" << r[0] << "</td><td>" << r[1] << "</td><td>" << r[2] << "</td><td>" << r[3] << "</td><td>"
          << r[4] << "</td></tr>\n";
    }
    h << "</table>\n";
    if (!chart.empty()) {
        h << "<p><img src=\"" << xml_escape(std::filesystem::path{chart}.filename().string())
          << "\" alt=\"benefit-cost ratio with its range\" style=\"max-width:100%\"></p>\n";
    }
    h << "<h2>Inputs and their sources</h2>\n<table><tr><th>parameter</th><th>low</th><th>central</th><th>high</th>"
         "<th>source</th></tr>\n";
    for (const auto& n : evaluate::costs_parameter_names()) {
        const auto& p = c.params.at(n);
        h << "<tr><td>" << n << "</td><td>" << fmt(p.low, "%g") << "</td><td>" << fmt(p.central, "%g") << "</td><td>"
          << fmt(p.high, "%g") << "</td><td style=\"text-align:left\">" << xml_escape(p.source) << "</td></tr>\n";
    }
    h << "</table>\n<ul>\n";
    for (const auto& n : a.notes) {
        h << "<li>" << xml_escape(n) << "</li>\n";
    }
    h << "</ul>\n<p>Unit costs: " << xml_escape(c.unit_costs_file) << ". Method: docs/costs.md.</p>\n</body></html>\n";
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
        out << h.str();
        if (!out.flush()) {
            throw Error(path + ": cannot write the page");
        }
    }
    commit(tmp, path);
}

} // namespace

evaluate::CostOutcomes cost_outcomes(const referral::ComparisonResult& comparison, const std::string& comparator) {
    evaluate::CostOutcomes o;
    o.months = comparison.options.months;
    const auto& ij = comparison.routes.front();
    const auto it = std::find_if(comparison.routes.begin(), comparison.routes.end(),
                                 [&](const referral::RouteResult& r) { return r.route == comparator; });
    if (it == comparison.routes.end()) {
        throw Error("the comparison has no route " + comparator);
    }
    o.referrals = ij.people;
    o.completions = ij.completed;
    o.ij_rate = ij.reoffended.estimate;
    o.comparator_rate = it->reoffended.estimate;
    // The stratified difference where it is published; else (a stratum small enough to be
    // withheld) the crude one from the published totals, said as such on every output.
    const bool stratified = std::isfinite(it->mh.estimate);
    const auto& rd = stratified ? it->mh : it->crude;
    o.rd = rd.estimate;
    o.rd_lower = rd.lower;
    o.rd_upper = rd.upper;
    o.rd_basis = stratified ? "stratified" : "crude";
    // The offence mix of the IJ people followed up, over the strata shown.
    double total = 0;
    for (const auto& s : comparison.strata) {
        const double n = s.by_route.at(referral::ij_route)[0];
        if (std::isfinite(n)) {
            o.offence_share[s.offence] += n;
            total += n;
        }
    }
    for (auto& [offence, share] : o.offence_share) {
        share = total > 0 ? share / total : 0;
    }
    return o;
}

std::vector<std::string> write_cost_files(const evaluate::CostAccount& account, const evaluate::CostsConfig& config,
                                          const evaluate::CostOutcomes& outcomes,
                                          const referral::ComparisonResult& comparison, const CostFiles& files) {
    std::vector<std::string> written;
    if (!files.csv.empty()) {
        write_csv(account, config, files.csv);
        written.push_back(files.csv);
    }
    if (!files.chart.empty()) {
        write_chart(account, files.chart);
        written.push_back(files.chart);
    }
    if (!files.html.empty()) {
        write_html(account, config, outcomes, comparison, files.chart, files.html);
        written.push_back(files.html);
    }
    return written;
}

CostFiles cost_files_in(const std::string& folder) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
        throw Error(folder + ": cannot create the folder (" + ec.message() + ")");
    }
    const std::filesystem::path p{folder};
    return {(p / "scheme-costs.csv").string(), (p / "scheme-costs.png").string(), (p / "scheme-costs.html").string()};
}

} // namespace hotref::publish
