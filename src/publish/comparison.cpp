#include "publish/comparison.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "publish/sdc.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

namespace hotref::publish {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The curves' points from the true subjects (the published profile shows a point only where
// its number at risk is published, and a curve only where none of the route's counts is withheld).
std::vector<std::vector<evaluate::KmStep>> curves(const referral::ComparisonCounts& counts) {
    std::vector<std::vector<evaluate::KmStep>> out;
    for (const auto& r : counts.routes) {
        const auto km = evaluate::kaplan_meier(r.subjects);
        std::vector<evaluate::KmStep> points;
        for (const double t : referral::km_report_days(counts.options.months)) {
            points.push_back(evaluate::km_at(km, r.subjects, t));
        }
        out.push_back(std::move(points));
    }
    return out;
}

class Gate {
public:
    Gate(const DisclosureRules& rules, std::string secret)
        : m_ptable{static_cast<int>(rules.min_referral_count), rules.max_noise}, m_secret(std::move(secret)) {}

    std::size_t add(const std::string& name, double value) {
        char n[32];
        std::snprintf(n, sizeof n, "|%.0f", value);
        sdc::CellKey key;
        key.add(sdc::record_key(m_secret, "compare|" + name + n));
        return m_table.add(value, key);
    }
    // total = a + b, all three cells.
    std::array<std::size_t, 3> split(const std::string& name, double total, const std::string& a_name, double a,
                                     const std::string& b_name) {
        const auto t = add(name, total), x = add(a_name, a), y = add(b_name, total - a);
        m_table.add_margin(t, {x, y});
        return {t, x, y};
    }
    // An existing total = a + b (a second split of it).
    void split_existing(std::size_t total, double total_value, const std::string& a_name, double a,
                        const std::string& b_name, std::size_t& a_id) {
        a_id = add(a_name, a);
        m_table.add_margin(total, {a_id, add(b_name, total_value - a)});
    }
    void margin(std::size_t total, std::vector<std::size_t> parts) { m_table.add_margin(total, std::move(parts)); }
    void protect() { sdc::protect(m_table, m_ptable, true); }
    [[nodiscard]] double value(std::size_t id) const {
        const auto& c = m_table.cells[id];
        return c.withheld ? nan : c.published;
    }

private:
    sdc::PTable m_ptable;
    std::string m_secret;
    sdc::Table m_table;
};

// The stratified risk difference as published: only from the published strata, and only when
// no stratum of either group has a count withheld. A figure made from the true strata would be
// one more linear equation in the withheld counts (with the strata sizes as its weights), and
// two comparisons over periods that differ by a few people would give their outcomes back; a
// figure from the strata shown alone would quietly drop the withheld ones. `--profile internal`
// (OFFICIAL-SENSITIVE) shows it whatever the counts (docs/compare.md#disclosure-control).
void withhold_partial_pooling(referral::ComparisonResult& out) {
    for (std::size_t i = 1; i < out.routes.size(); ++i) {
        auto& mh = out.routes[i].mh;
        if (out.routes[i].strata_dropped > 0) {
            mh.estimate = mh.lower = mh.upper = mh.variance = nan;
        }
    }
}

referral::ComparisonResult published(const referral::ComparisonCounts& counts, const DisclosureRules& rules,
                                     const std::string& secret) {
    Gate gate{rules, secret};
    struct RouteIds {
        std::array<std::size_t, 3> people, followed;
        std::size_t completed = 0;
        std::vector<std::size_t> at_risk;
    };
    std::vector<RouteIds> ids;
    auto km = curves(counts);
    for (std::size_t i = 0; i < counts.routes.size(); ++i) {
        const auto& r = counts.routes[i];
        RouteIds id;
        id.people = gate.split(r.route + "|people", r.people, r.route + "|fte", r.fte, r.route + "|not-fte");
        gate.split_existing(id.people[0], r.people, r.route + "|completed", r.completed, r.route + "|not-completed",
                            id.completed);
        id.followed = gate.split(r.route + "|followed", r.followed, r.route + "|reoffended", r.reoffended,
                                 r.route + "|not-reoffended");
        // people = followed up + not yet followed up for N months.
        gate.margin(id.people[0], {id.followed[0], gate.add(r.route + "|not-followed", r.people - r.followed)});
        for (const auto& p : km[i]) {
            id.at_risk.push_back(gate.add(r.route + "|at-risk|" + std::to_string(static_cast<long long>(p.time)), p.at_risk));
        }
        ids.push_back(std::move(id));
    }
    // Strata: each route's followed, reoffended and not; the route's totals are their sums.
    std::vector<std::vector<std::array<std::size_t, 3>>> cells(counts.strata.size());
    for (std::size_t s = 0; s < counts.strata.size(); ++s) {
        const auto& st = counts.strata[s];
        for (const auto& r : counts.routes) {
            const auto& c = st.by_route.at(r.route);
            const auto base = r.route + "|" + st.key();
            cells[s].push_back(gate.split(base + "|followed", c[0], base + "|reoffended", c[1], base + "|not-reoffended"));
        }
    }
    for (std::size_t i = 0; i < counts.routes.size() && !counts.strata.empty(); ++i) {
        for (std::size_t k = 0; k < 3; ++k) {
            std::vector<std::size_t> parts;
            for (std::size_t s = 0; s < counts.strata.size(); ++s) {
                parts.push_back(cells[s][i][k]);
            }
            gate.margin(ids[i].followed[k], parts);
        }
    }
    gate.protect();
    auto shown = counts;
    for (std::size_t i = 0; i < shown.routes.size(); ++i) {
        auto& r = shown.routes[i];
        r.people = gate.value(ids[i].people[0]);
        r.fte = gate.value(ids[i].people[1]);
        r.completed = gate.value(ids[i].completed);
        // Each published count carries its own noise: the followed up are shown as at most the people.
        r.followed = std::min(gate.value(ids[i].followed[0]), r.people);
        r.reoffended = gate.value(ids[i].followed[1]);
        r.subjects.clear();
        for (std::size_t p = 0; p < km[i].size(); ++p) {
            const double at_risk = gate.value(ids[i].at_risk[p]);
            auto& pt = km[i][p];
            pt.at_risk = at_risk;
            if (std::isnan(at_risk) || std::isnan(r.people)) {
                pt.survival = pt.se = pt.lower = pt.upper = nan;
            }
        }
    }
    for (std::size_t s = 0; s < shown.strata.size(); ++s) {
        for (std::size_t i = 0; i < shown.routes.size(); ++i) {
            shown.strata[s].by_route[shown.routes[i].route] = {gate.value(cells[s][i][0]), gate.value(cells[s][i][1])};
        }
    }
    // A curve's survival share comes from the true times: with no one censored before N months,
    // 1 - S(N) times the followed up is the true reoffended count, which would undo the noise
    // and the suppression of that route's counts. So a route's curve is shown only when none of
    // its counts is withheld (its totals and every stratum), like the stratified difference.
    for (std::size_t i = 0; i < shown.routes.size(); ++i) {
        const auto& r = shown.routes[i];
        bool whole = std::isfinite(r.people) && std::isfinite(r.fte) && std::isfinite(r.completed) &&
                     std::isfinite(r.followed) && std::isfinite(r.reoffended);
        for (std::size_t st = 0; st < shown.strata.size() && whole; ++st) {
            const auto& c = shown.strata[st].by_route.at(r.route);
            whole = std::isfinite(c[0]) && std::isfinite(c[1]);
        }
        if (!whole) {
            for (auto& pt : km[i]) {
                pt.survival = pt.se = pt.lower = pt.upper = nan;
            }
        }
    }
    auto out = referral::summarise_comparison(shown, km);
    withhold_partial_pooling(out);
    out.profile_note = "published profile: counts from 1 to " + std::to_string(static_cast<int>(rules.min_referral_count) - 1) +
                       " withheld (*), the rest with cell-key noise of at most +/-" + std::to_string(rules.max_noise) +
                       ", complementary suppression; rates, intervals and the stratified difference from the published "
                       "counts only (the stratified difference withheld where a stratum is)";
    return out;
}

} // namespace

referral::ComparisonResult disclose_comparison(const referral::ComparisonCounts& counts, Profile profile,
                                               const DisclosureRules& rules, const std::string& secret) {
    if (profile == Profile::internal) {
        auto out = referral::summarise_comparison(counts, curves(counts));
        out.profile_note = "internal profile (OFFICIAL-SENSITIVE): true counts, nothing suppressed; not for publication";
        return out;
    }
    return published(counts, rules, secret);
}

namespace {

std::string num(double v, const char* fmt = "%.4f") {
    if (!std::isfinite(v)) {
        return "";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

} // namespace

void write_comparison_csv(const referral::ComparisonResult& result, const std::string& path) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
        if (!out) {
            throw Error(path + ": cannot write the comparison CSV");
        }
        out << "section,route,measure,months,count,denominator,estimate,lower,upper,note\n";
        const std::string m = std::to_string(result.options.months);
        for (const auto& r : result.routes) {
            out << "route," << r.route << ",people,," << num(r.people, "%.0f") << ",,,,,\n";
            out << "route," << r.route << ",first_time_entrants,," << num(r.fte.events, "%.0f") << ","
                << num(r.fte.n, "%.0f") << "," << num(r.fte.estimate) << "," << num(r.fte.lower) << ","
                << num(r.fte.upper) << ",Wilson 95%\n";
            out << "route," << r.route << ",reoffended_within_months," << m << "," << num(r.reoffended.events, "%.0f")
                << "," << num(r.reoffended.n, "%.0f") << "," << num(r.reoffended.estimate) << ","
                << num(r.reoffended.lower) << "," << num(r.reoffended.upper) << ",Wilson 95%\n";
            for (const auto& p : r.km) {
                out << "km," << r.route << ",not_reoffended_by_day," << num(p.time, "%.0f") << ","
                    << num(p.at_risk, "%.0f") << ",," << num(p.survival) << "," << num(p.lower) << ","
                    << num(p.upper) << ",Kaplan-Meier; count = at risk; log-log 95%\n";
            }
            if (r.route != referral::ij_route) {
                out << "difference," << r.route << ",ij_minus_route_crude," << m << ",,," << num(r.crude.estimate)
                    << "," << num(r.crude.lower) << "," << num(r.crude.upper) << ",Wald 95%\n";
                out << "difference," << r.route << ",ij_minus_route_mantel_haenszel," << m << ","
                    << r.mh.strata_used << ",," << num(r.mh.estimate) << "," << num(r.mh.lower) << ","
                    << num(r.mh.upper) << ",Sato 95%; count = strata used; " << r.strata_dropped
                    << " strata with a count withheld below\n";
            }
        }
        for (const auto& s : result.strata) {
            for (const auto& [route, c] : s.by_route) {
                out << "stratum," << route << "," << s.key() << "," << m << "," << num(c[1], "%.0f") << ","
                    << num(c[0], "%.0f") << ",,,,reoffended / followed up\n";
            }
        }
        if (!result.label.empty()) {
            out << "note,,label,,,,,,," << csv_quoted(result.label) << "\n";
        }
        out << "note,,profile,,,,,,," << csv_quoted(result.profile_note) << "\n";
        for (const auto& w : result.warnings) {
            out << "note,,warning,,,,,,," << csv_quoted(w) << "\n";
        }
        if (!out.flush()) {
            throw Error(path + ": cannot write the comparison CSV");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        throw Error(path + ": cannot write the comparison CSV (" + ec.message() + ")");
    }
}

} // namespace hotref::publish
