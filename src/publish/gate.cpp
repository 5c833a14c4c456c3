// The disclosure gate (publish/model.hpp): the only place where what a profile
// publishes is decided. docs/disclosure.md states the rules and their sources.

#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/geos.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/model.hpp"
#include "publish/sdc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace hotref::publish {

namespace {

using geo::FieldType;
using geo::FieldValue;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t none = static_cast<std::size_t>(-1);

FieldValue real_or_null(double v) {
    return std::isfinite(v) ? FieldValue{v} : FieldValue{};
}
FieldValue optional_or_null(const std::optional<double>& v) {
    return v ? real_or_null(*v) : FieldValue{};
}
// Text as published: never a byte that is not UTF-8, even from a store written before
// ingest checked encodings (GeoJSON, MVT and the service's JSON need valid UTF-8).
FieldValue text_or_null(const std::string& s) {
    if (s.empty()) {
        return FieldValue{};
    }
    return FieldValue{utf8_error_at(s) ? valid_utf8(s) : s};
}

std::string place_identity(const RawPlace& p) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f,%.0f", p.x, p.y);
    return buf;
}

// The places a profile shows: the published profile folds a force's exact points
// into the centres of 100 m squares (police.uk's snap points are kept as they are).
std::vector<RawPlace> generalise_places(const RawRun& raw, bool published, double grid, DisclosureSummary& s) {
    if (!published) {
        return raw.places;
    }
    std::vector<RawPlace> out;
    std::map<std::pair<long long, long long>, std::size_t> squares;
    for (const auto& p : raw.places) {
        if (!p.exact) {
            out.push_back(p);
            continue;
        }
        ++s.points_generalised;
        const auto cx = static_cast<long long>(std::floor(p.x / grid));
        const auto cy = static_cast<long long>(std::floor(p.y / grid));
        auto [it, fresh] = squares.emplace(std::pair{cx, cy}, out.size());
        if (fresh) {
            RawPlace q;
            q.x = (static_cast<double>(cx) + 0.5) * grid;
            q.y = (static_cast<double>(cy) + 0.5) * grid;
            q.lsoa_code = p.lsoa_code;
            q.lsoa_name = p.lsoa_name;
            q.exact = true;
            q.hotspot = p.hotspot;
            q.cell = p.cell;
            out.push_back(std::move(q));
        }
        auto& q = out[it->second];
        for (const auto& [k, n] : p.counts) {
            q.counts[k] += n;
        }
        // A square across two hotspots (or cells) belongs to neither margin exactly.
        if (q.hotspot != p.hotspot) {
            q.hotspot = -2;
        }
        if (q.cell != p.cell) {
            q.cell = -2;
        }
    }
    return out;
}

// The hotspot's name from police.uk streets only ("On or near ..."): never a force's free text.
std::string published_name(const RawRun& raw, const std::vector<std::size_t>& members, int h,
                           const std::string& stored) {
    hotspot::NameVotes votes;
    bool any_exact = false;
    for (const std::size_t i : members) {
        const auto& p = raw.places[i];
        any_exact = any_exact || p.exact;
        // A force's own location text is never published: only police.uk labels vote for a street.
        votes.add(p.exact || p.street.rfind("On or near ", 0) != 0 ? std::string_view{} : p.street, p.lsoa_name,
                  p.total());
    }
    if (!any_exact) {
        return stored; // named from police.uk locations already
    }
    const auto name = votes.name();
    return name.empty() ? "Hotspot " + raw.hotspots[static_cast<std::size_t>(h)].code : name;
}

// The outline snapped out to the 100 m grid: the union of the grid squares it covers
// more than a sliver of, so it never draws anything finer than the published grid.
std::string snap_outline(const geo::Context& ctx, const std::string& wkb, double grid) {
    geo::PreparedGeometry shape{ctx, ctx.from_wkb(wkb)};
    double minx = 0, miny = 0, maxx = 0, maxy = 0;
    shape.geometry().bounds(minx, miny, maxx, maxy);
    std::vector<std::array<double, 4>> boxes;
    for (double x = std::floor(minx / grid) * grid; x < maxx; x += grid) {
        for (double y = std::floor(miny / grid) * grid; y < maxy; y += grid) {
            if (!shape.intersects_box(x, y, x + grid, y + grid)) {
                continue;
            }
            if (shape.covers_box(x, y, x + grid, y + grid) ||
                ctx.intersection_area(shape.geometry(), ctx.box(x, y, x + grid, y + grid)) > 0.01 * grid * grid) {
                boxes.push_back({x, y, x + grid, y + grid});
            }
        }
    }
    if (boxes.empty()) {  // a sliver everywhere: the square of its centre
        const double cx = std::floor((minx + maxx) / 2 / grid) * grid;
        const double cy = std::floor((miny + maxy) / 2 / grid) * grid;
        boxes.push_back({cx, cy, cx + grid, cy + grid});
    }
    return ctx.dissolve_boxes(boxes).wkb();
}

// The record-set identity of an aggregate: the same records always give the same key.
sdc::CellKey key_of(const std::string& secret, const std::string& identity) {
    sdc::CellKey k;
    k.add(sdc::record_key(secret, identity));
    return k;
}

std::string rule_line(Profile profile, const DisclosureRules& rules) {
    if (profile == Profile::internal) {
        return "internal profile: nothing suppressed; not for publication";
    }
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "published profile: counts from 1 to %.0f withheld, the rest carry cell-key noise of at most +/-%d "
                  "(ONS Census 2021 method), complementary suppression audited so that no withheld count can be "
                  "narrowed below %.0f; PAI, share and density from published counts only; Gi* as its confidence "
                  "bin; hotspots of fewer than %.0f locations withheld; nothing finer than 100 m; no exact times",
                  rules.min_count - 1, rules.max_noise, rules.min_count, rules.min_count);
    return buf;
}

} // namespace

const ModelLayer* RunModel::find(const std::string& name) const {
    for (const auto& l : layers) {
        if (l.name == name) {
            return &l;
        }
    }
    return nullptr;
}

int ModelLayer::field(const std::string& wanted) const {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == wanted) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

double RawPlace::total() const {
    double t = 0;
    for (const auto& [k, n] : counts) {
        t += n;
    }
    return t;
}

namespace {

// A KPI ratio and the names of the counts it is made from. Counts of the same thing share
// a name, and so one cell: one figure, one noise (two noisy copies of a count could be
// averaged). The names of the first eight are those of the cell keys published before.
struct NamedRatio {
    referral::Ratio* ratio;
    std::string numerator, denominator;
};

std::vector<NamedRatio> named_ratios(referral::Kpis& g) {
    std::vector<NamedRatio> out{{&g.contacted_48h, "contacted_48h/n", "contacted_48h/d"},
                                {&g.completed, "completed/n", "completed/d"},
                                {&g.refused, "refused/n", "refused/d"},
                                {&g.withdrawn, "withdrawn/n", "withdrawn/d"},
                                {&g.not_reoffended, "not_reoffended/n", "not_reoffended/d"},
                                {&g.victim_satisfied, "victim_satisfied/n", "victim_satisfied/d"},
                                {&g.first_time_entrants, "fte/n", "fte/d"},
                                {&g.youth, "youth/n", "youth/d"},
                                {&g.onward_any, "onward_any/n", "referrals"},
                                {&g.qualified, "aqa/n", "attended"},
                                {&g.interpreter, "interpreter/n", "interpreter/d"},
                                {&g.survey_answered, "survey_answered", "consented"},
                                {&g.learnt_about_impact, "learnt/n", "learnt/d"}};
    for (const auto& a : referral::onward_agencies()) {
        out.push_back({&g.onward[a], "onward:" + a + "/n", "onward:" + a + "/d"});
    }
    for (const auto& t : referral::workshop_types()) {
        out.push_back({&g.workshops[t], "workshop:" + t, "workshop_typed"});
    }
    for (const auto& a : referral::reoffend_answers()) {
        out.push_back({&g.would_reoffend[a], "would_reoffend:" + a, "would_reoffend/d"});
    }
    return out;
}

// Within a group: a total that is the sum of counts also published (workshop types, answers).
std::vector<std::pair<std::string, std::vector<std::string>>> group_margins() {
    std::pair<std::string, std::vector<std::string>> types{"workshop_typed", {}}, answers{"would_reoffend/d", {}};
    for (const auto& t : referral::workshop_types()) {
        types.second.push_back("workshop:" + t);
    }
    for (const auto& a : referral::reoffend_answers()) {
        answers.second.push_back("would_reoffend:" + a);
    }
    return {types, answers};
}

} // namespace

std::vector<referral::Kpis> disclose_kpis(const std::vector<referral::Kpis>& kpis, Profile profile,
                                          const DisclosureRules& rules, const std::string& secret) {
    if (profile == Profile::internal || kpis.empty()) {
        return kpis;
    }
    auto out = kpis;
    const double k = rules.min_referral_count;
    sdc::PTable ptable{static_cast<int>(k), rules.max_noise};
    sdc::Table table;
    // Per group: its cells by name (referrals, then each ratio's numerator and denominator).
    std::vector<std::map<std::string, std::size_t>> ids(out.size());
    for (std::size_t g = 0; g < out.size(); ++g) {
        const std::string base = "kpi|" + out[g].group + "|";
        auto add = [&](const std::string& what, double v) {
            if (ids[g].count(what) == 0) {
                char n[32];
                std::snprintf(n, sizeof n, "|%.0f", v);
                ids[g][what] = table.add(v, key_of(secret, base + what + n));
            }
        };
        add("referrals", out[g].referrals);
        for (const auto& r : named_ratios(out[g])) {
            add(r.numerator, r.ratio->numerator);
            add(r.denominator, r.ratio->denominator);
        }
        for (const auto& [total, parts] : group_margins()) {
            std::vector<std::size_t> cells;
            for (const auto& p : parts) {
                cells.push_back(ids[g].at(p));
            }
            table.add_margin(ids[g].at(total), cells);
        }
    }
    // The first group is the scheme; the others partition it (hotspots and outside, or months).
    if (out.size() > 1 && out.front().group == "scheme") {
        for (const auto& [name, total] : ids[0]) {
            std::vector<std::size_t> parts;
            for (std::size_t g = 1; g < out.size(); ++g) {
                parts.push_back(ids[g].at(name));
            }
            table.add_margin(total, parts);
        }
    }
    sdc::protect(table, ptable, true);
    auto pub = [&](std::size_t id) {
        const auto& c = table.cells[id];
        return c.withheld ? nan : c.published;
    };
    for (std::size_t g = 0; g < out.size(); ++g) {
        auto& grp = out[g];
        const double true_completed = grp.completed.numerator;
        grp.referrals = pub(ids[g].at("referrals"));
        for (const auto& r : named_ratios(grp)) {
            const double n = pub(ids[g].at(r.numerator));
            const double d = pub(ids[g].at(r.denominator));
            // A group whose referrals are withheld shows none of its ratios either, zeros included.
            if (std::isnan(n) || std::isnan(d) || std::isnan(grp.referrals)) {
                r.ratio->suppressed = true;
                r.ratio->numerator = r.ratio->denominator = nan;
            } else {
                r.ratio->numerator = std::min(n, d);
                r.ratio->denominator = d;
            }
        }
        // A median is one person's figure: only over at least k completions.
        if (std::isnan(grp.referrals) || true_completed < k) {
            grp.median_days_to_completion = -1;
        }
        // Hours: a sum over people, rounded to tens where the group is published.
        grp.reparation_hours = std::isnan(grp.referrals) ? -1 : std::round(grp.reparation_hours / 10) * 10;
    }
    return out;
}

evaluate::EvaluationSummary disclose_evaluation(const evaluate::EvaluationSummary& in, Profile profile,
                                                const DisclosureRules& rules, const std::string& secret) {
    auto out = in;
    if (profile == Profile::internal) {
        out.profile_note = "internal profile (OFFICIAL-SENSITIVE): nothing suppressed; not for publication";
        return out;
    }
    out.profile_note = "published profile (OFFICIAL): counts 1-" + std::to_string(static_cast<int>(rules.min_count) - 1) +
                       " withheld, others within +/-" + std::to_string(rules.max_noise) + " (cell-key noise)";
    const double k = rules.min_count;
    sdc::PTable ptable{static_cast<int>(k), rules.max_noise};
    sdc::Table table;
    // Cell keys from what the count is of: the same area, window and value give the same
    // noise in every evaluation (the control is one area: the same figure everywhere).
    const std::string windows[2] = {in.before_from + ".." + in.before_to, in.after_from + ".." + in.after_to};
    auto add = [&](const std::string& what, double v) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "|%.3f", v);
        return table.add(std::round(v), key_of(secret, "evaluation|" + what + buf));
    };
    struct Ids {
        std::size_t counts[6];  // target, buffer, control x before, after
        std::vector<std::size_t> months[3];
    };
    std::vector<Ids> ids(out.areas.size());
    const int m = in.months;
    for (std::size_t a = 0; a < out.areas.size(); ++a) {
        const auto& area = out.areas[a];
        const std::string code = area.code + "|";
        const evaluate::BeforeAfter* parts[3] = {&area.target, &area.buffer, &area.control};
        const std::vector<double>* series[3] = {&area.monthly_target, &area.monthly_buffer, &area.monthly_control};
        const char* names[3] = {"target", "buffer", "control"};
        for (int r = 0; r < 3; ++r) {
            // The control is one area for every hotspot; the scheme's is its mean (not a count).
            const std::string who = r == 2 ? std::string{"control|"} : code;
            const std::string start = r == 2 ? std::string{} : (in.aligned ? area.code + "+" : std::string{});
            ids[a].counts[2 * r] = add(who + names[r] + "|" + windows[0], parts[r]->before);
            ids[a].counts[2 * r + 1] = add(who + names[r] + "|" + windows[1], parts[r]->after);
            for (std::size_t i = 0; i < series[r]->size(); ++i) {
                ids[a].months[r].push_back(
                    add(who + names[r] + "|" + start + windows[0] + "#" + std::to_string(i), (*series[r])[i]));
            }
            // Each window is the sum of its months (when the series is whole and integral).
            const auto& sv = *series[r];
            if (static_cast<int>(sv.size()) == 2 * m) {
                double sb = 0, sa = 0;
                bool integral = true;
                for (int i = 0; i < 2 * m; ++i) {
                    integral = integral && std::abs(sv[static_cast<std::size_t>(i)] - std::round(sv[static_cast<std::size_t>(i)])) < 1e-9;
                    (i < m ? sb : sa) += sv[static_cast<std::size_t>(i)];
                }
                if (integral && std::abs(sb - parts[r]->before) < 0.5) {
                    table.add_margin(ids[a].counts[2 * r],
                                     {ids[a].months[r].begin(), ids[a].months[r].begin() + m});
                }
                if (integral && std::abs(sa - parts[r]->after) < 0.5) {
                    table.add_margin(ids[a].counts[2 * r + 1], {ids[a].months[r].begin() + m, ids[a].months[r].end()});
                }
            }
        }
    }
    // The scheme's target (first area) is the sum of the hotspots' targets, window by window and month by month.
    if (out.areas.size() > 1 && out.areas.front().code == "scheme") {
        for (int c = 0; c < 2; ++c) {
            double sum = 0;
            std::vector<std::size_t> parts;
            for (std::size_t a = 1; a < out.areas.size(); ++a) {
                sum += c == 0 ? out.areas[a].target.before : out.areas[a].target.after;
                parts.push_back(ids[a].counts[c]);
            }
            const double total = c == 0 ? out.areas.front().target.before : out.areas.front().target.after;
            if (std::abs(sum - total) < 0.5) {
                table.add_margin(ids[0].counts[c], parts);
            }
        }
        for (std::size_t i = 0; i < ids[0].months[0].size(); ++i) {
            double sum = 0;
            std::vector<std::size_t> parts;
            bool whole = true;
            for (std::size_t a = 1; a < out.areas.size(); ++a) {
                if (i >= out.areas[a].monthly_target.size()) {
                    whole = false;
                    break;
                }
                sum += out.areas[a].monthly_target[i];
                parts.push_back(ids[a].months[0][i]);
            }
            if (whole && std::abs(sum - out.areas.front().monthly_target[i]) < 0.5) {
                table.add_margin(ids[0].months[0][i], parts);
            }
        }
    }
    // The study area's totals (the curve's denominators).
    const auto tb = add("study|" + windows[0], in.concentration.before_total);
    const auto ta = add("study|" + windows[1], in.concentration.after_total);
    sdc::protect(table, ptable, true);
    auto pub = [&](std::size_t id) {
        const auto& c = table.cells[id];
        return c.withheld ? nan : c.published;
    };
    std::vector<double> before, after;
    for (std::size_t a = 0; a < out.areas.size(); ++a) {
        auto& area = out.areas[a];
        evaluate::BeforeAfter* parts[3] = {&area.target, &area.buffer, &area.control};
        std::vector<double>* series[3] = {&area.monthly_target, &area.monthly_buffer, &area.monthly_control};
        bool whole = true;
        for (int r = 0; r < 3; ++r) {
            parts[r]->before = pub(ids[a].counts[2 * r]);
            parts[r]->after = pub(ids[a].counts[2 * r + 1]);
            whole = whole && std::isfinite(parts[r]->before) && std::isfinite(parts[r]->after);
            for (std::size_t i = 0; i < series[r]->size(); ++i) {
                (*series[r])[i] = pub(ids[a].months[r][i]);
            }
        }
        if (whole) {
            evaluate::compute_measures(area, m);
        } else {
            area.target_ratio = {};
            area.target_ratio.ratio = {nan, nan, nan};
            area.target_ratio.p_exact = nan;
            area.irr = {nan, nan, nan};
            area.wdq = {};
            area.wdq.success = area.wdq.buffer_displacement = area.wdq.wdq = nan;
            area.wdq.reading = "withheld (small counts)";
            area.tne = nan;
            area.wdd = {};
            area.wdd.wdd = area.wdd.se = area.wdd.z = nan;
        }
        if (a > 0) {
            before.push_back(area.target.before);
            after.push_back(area.target.after);
        }
    }
    // Capture against area from the published counts; the totals are the study area's, perturbed.
    // The curve runs over the top hotspots down to the first whose counts are withheld (a
    // point past it would give that count back as the difference of two points).
    std::size_t prefix = 0;
    while (prefix < before.size() && std::isfinite(before[prefix]) && std::isfinite(after[prefix])) {
        ++prefix;
    }
    if (prefix > 0 && out.area_codes.size() == before.size() && std::isfinite(pub(tb)) && std::isfinite(pub(ta))) {
        std::vector<double> areas;
        geo::Context ctx;
        for (std::size_t i = 0; i < prefix; ++i) {
            areas.push_back(ctx.from_wkb(out.target_wkb[i]).area());
        }
        const std::vector<std::string> codes(out.area_codes.begin(), out.area_codes.begin() + static_cast<long>(prefix));
        before.resize(prefix);
        after.resize(prefix);
        out.concentration =
            evaluate::concentration_curve(codes, areas, out.study_area_m2, before, after, pub(tb), pub(ta));
        out.pai_after = out.concentration.pai_after;
        if (prefix < out.area_codes.size()) {
            out.warnings.push_back("capture against area over the top " + std::to_string(prefix) + " of " +
                                   std::to_string(out.area_codes.size()) +
                                   " hotspots: the next one's counts are withheld (fewer than " +
                                   std::to_string(static_cast<int>(k)) + ")");
        }
    } else {
        out.concentration = {};
        out.pai_after = nan;
        out.warnings.push_back("capture against area withheld: the top hotspot's counts are withheld");
    }
    return out;
}

namespace {

// disclose() in stages: which hotspots may be shown, the table of every count with its
// margins, the protection of that table, then one layer at a time from the protected values.
class Gate {
public:
    Gate(const RawRun& raw, Profile profile, const DisclosureRules& rules)
        : m_raw(raw), m_run(raw.run), m_published(profile == Profile::published), m_k(rules.min_count) {
        m_model.profile = profile;
        m_model.rules = rules;
        m_model.run = m_run;
        m_model.generated = store::utc_now();
        m_model.disclosure.rule = rule_line(profile, rules);
        m_places = generalise_places(raw, m_published, grid, m_model.disclosure);
        m_by_category = raw.categories.size() > 1;
        const bool grid_method = m_run.method == "gistar" || m_run.method == "kde";
        m_cells_published = grid_method && (!m_published || m_run.cell_size >= grid);
        if (grid_method && !m_cells_published) {
            m_model.disclosure.notes.push_back("the run's " + std::to_string(static_cast<int>(m_run.cell_size)) +
                                               " m cells are finer than the published minimum of 100 m: the cells "
                                               "layer is internal only");
        }
        m_members.resize(raw.hotspots.size());
        for (std::size_t i = 0; i < raw.places.size(); ++i) {
            if (raw.places[i].hotspot >= 0) {
                m_members[static_cast<std::size_t>(raw.places[i].hotspot)].push_back(i);
            }
        }
    }

    RunModel run(const DisclosureRules& rules) {
        choose_hotspots();
        add_places();
        add_cells();
        add_hotspots();
        add_total();
        if (m_published) {
            const auto p = sdc::protect(m_table, sdc::PTable{static_cast<int>(m_k), rules.max_noise}, true);
            m_model.disclosure.primary = p.primary;
            m_model.disclosure.secondary = p.secondary;
            m_model.disclosure.perturbed = p.perturbed;
        }
        hotspots_layer(rules);
        cells_layer();
        incidents_layer();
        study_area_layer();
        kde_raster();
        return std::move(m_model);
    }

private:
    static constexpr double grid = 100.0; // nothing published finer than this (m)

    // A hotspot is published with at least k locations and k incidents.
    void choose_hotspots() {
        m_shown.assign(m_raw.hotspots.size(), 1);
        if (!m_published) {
            return;
        }
        for (std::size_t h = 0; h < m_raw.hotspots.size(); ++h) {
            if (static_cast<double>(m_members[h].size()) < m_k || m_raw.hotspots[h].incidents < m_k) {
                m_shown[h] = 0;
                ++m_model.disclosure.hotspots_withheld;
            }
        }
    }

    // Each place: its (hidden) total, its months and categories as margins of it.
    void add_places() {
        const std::size_t months = m_raw.months.size();
        const std::size_t cats = m_raw.categories.size();
        const std::size_t n = m_places.size();
        m_place_total.assign(n, none);
        m_place_month.assign(n, {});
        m_place_cat.assign(n, {});
        m_place_key.assign(n, {});
        m_place_sum.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) {
            const auto& p = m_places[i];
            const std::string id = place_identity(p) + "|";
            std::vector<double> per_month(months, 0), per_cat(cats, 0);
            std::vector<sdc::CellKey> month_key(months), cat_key(cats);
            for (const auto& [mc, count] : p.counts) {
                const auto m = static_cast<std::size_t>(mc.first);
                const auto c = static_cast<std::size_t>(mc.second);
                char atom[96];
                std::snprintf(atom, sizeof atom, "%s|%d|%.0f", m_raw.months[m].c_str(),
                              static_cast<int>(m_raw.categories[c].id), count);
                const auto rk = sdc::record_key(m_raw.secret, id + atom);
                per_month[m] += count;
                per_cat[c] += count;
                month_key[m].add(rk);
                cat_key[c].add(rk);
                m_place_key[i].add(rk);
                m_place_sum[i] += count;
            }
            m_place_total[i] = m_table.add(m_place_sum[i], m_place_key[i]);
            // A location's total over the run is never published as such: two runs over nested
            // periods would give the difference of two totals, a withheld month, back. Its months
            // (and categories) are; the total shown is their sum, where all are published.
            m_table.cells[m_place_total[i]].hidden = m_published;
            if (m_published && m_place_sum[i] < m_k) {
                continue; // not drawn at all: its parts are never published
            }
            for (std::size_t m = 0; m < months; ++m) {
                m_place_month[i].push_back(m_table.add(per_month[m], month_key[m]));
            }
            m_table.add_margin(m_place_total[i], m_place_month[i]);
            if (m_by_category) {
                for (std::size_t c = 0; c < cats; ++c) {
                    m_place_cat[i].push_back(m_table.add(per_cat[c], cat_key[c]));
                }
                m_table.add_margin(m_place_total[i], m_place_cat[i]);
            }
        }
    }

    // Grid cells: each the sum of the places in it.
    void add_cells() {
        m_cell_table.assign(m_raw.cells.size(), none);
        if (!m_cells_published) {
            return;
        }
        std::unordered_map<std::int64_t, std::vector<std::size_t>> parts;
        std::unordered_map<std::int64_t, double> sums;
        std::unordered_map<std::int64_t, sdc::CellKey> keys;
        for (std::size_t i = 0; i < m_places.size(); ++i) {
            if (m_places[i].cell == -2) {
                continue;
            }
            parts[m_places[i].cell].push_back(m_place_total[i]);
            sums[m_places[i].cell] += m_place_sum[i];
            keys[m_places[i].cell].add(m_place_key[i]);
        }
        for (std::size_t c = 0; c < m_raw.cells.size(); ++c) {
            const auto& cell = m_raw.cells[c];
            const std::int64_t id = cell.col + cell.row * m_run.columns;
            m_cell_table[c] = m_table.add(cell.count, keys[id]);
            if (const auto it = sums.find(id); it != sums.end() && std::abs(it->second - cell.count) < 0.5) {
                m_table.add_margin(m_cell_table[c], parts[id]);
            }
        }
    }

    // Hotspots: each the sum of its places (and of its cells).
    void add_hotspots() {
        const std::size_t nh = m_raw.hotspots.size();
        m_hotspot_table.assign(nh, none);
        std::vector<std::vector<std::size_t>> parts(nh), cell_parts(nh);
        std::vector<double> sums(nh, 0), cell_sums(nh, 0);
        std::vector<sdc::CellKey> keys(nh);
        for (std::size_t i = 0; i < m_places.size(); ++i) {
            if (const int h = m_places[i].hotspot; h >= 0) {
                parts[static_cast<std::size_t>(h)].push_back(m_place_total[i]);
                sums[static_cast<std::size_t>(h)] += m_place_sum[i];
                keys[static_cast<std::size_t>(h)].add(m_place_key[i]);
            }
        }
        // A square that spans hotspots (hotspot -2) is in neither margin: those hotspots' sums
        // fall short of their totals and their place margins are left out (the attacker cannot
        // split the square either).
        std::map<std::string, std::size_t> by_code;
        for (std::size_t h = 0; h < nh; ++h) {
            by_code[m_raw.hotspots[h].code] = h;
        }
        for (std::size_t c = 0; c < m_raw.cells.size(); ++c) {
            if (m_cell_table[c] == none || m_raw.cells[c].hotspot.empty()) {
                continue;
            }
            if (const auto it = by_code.find(m_raw.cells[c].hotspot); it != by_code.end()) {
                cell_parts[it->second].push_back(m_cell_table[c]);
                cell_sums[it->second] += m_raw.cells[c].count;
            }
        }
        for (std::size_t h = 0; h < nh; ++h) {
            if (!m_shown[h]) {
                continue;
            }
            const double t = m_raw.hotspots[h].incidents;
            m_hotspot_table[h] = m_table.add(t, keys[h]);
            if (std::abs(sums[h] - t) < 0.5) {
                m_table.add_margin(m_hotspot_table[h], parts[h]);
            }
            if (!cell_parts[h].empty() && std::abs(cell_sums[h] - t) < 0.5) {
                m_table.add_margin(m_hotspot_table[h], cell_parts[h]);
            }
        }
    }

    // The run's total (the denominator of shares): perturbed like any count.
    void add_total() {
        double total = 0;
        sdc::CellKey key;
        for (std::size_t i = 0; i < m_places.size(); ++i) {
            total += m_place_sum[i];
            key.add(m_place_key[i]);
        }
        m_total = m_table.add(total, key);
    }

    // What a profile shows of a table entry: the true value, or the published one (NaN when withheld).
    [[nodiscard]] double value(std::size_t id) const {
        if (id == none) {
            return nan;
        }
        const auto& c = m_table.cells[id];
        if (!m_published) {
            return c.value;
        }
        return c.withheld ? nan : c.published;
    }

    static std::vector<geo::FieldDef> hotspot_fields() {
        return {{"code", FieldType::text},        {"rank", FieldType::integer},
                {"name", FieldType::text},        {"method", FieldType::text},
                {"run_id", FieldType::integer},   {"period_from", FieldType::text},
                {"period_to", FieldType::text},   {"categories", FieldType::text},
                {"incidents", FieldType::real},   {"share", FieldType::real},
                {"area_km2", FieldType::real},    {"density_km2", FieldType::real},
                {"pai", FieldType::real},         {"mean_z", FieldType::real},
                {"max_z", FieldType::real},       {"confidence", FieldType::integer},
                {"peak_density", FieldType::real}, {"trend", FieldType::text},
                {"trend_class", FieldType::text}, {"ij_referrals", FieldType::real},
                {"ij_contacted_48h_pct", FieldType::real}, {"ij_completed_pct", FieldType::real},
                {"ij_not_reoffended_pct", FieldType::real}, {"ij_victim_satisfied_pct", FieldType::real},
                {"expected", FieldType::real},        {"ij_onward_pct", FieldType::real},
                {"ij_qualified_pct", FieldType::real}, {"ij_interpreter_pct", FieldType::real},
                {"ij_learnt_pct", FieldType::real}};
    }

    // The referral attributes are left null here: set_hotspot_referrals sets them.
    ModelFeature hotspot_feature(std::size_t h, bool snap, double total_pub) {
        auto& s = m_model.disclosure;
        const auto& hs = m_raw.hotspots[h];
        const double area_km2 = hs.area_m2 / 1e6;
        double incidents = hs.incidents, share = hs.share, density = hs.density_km2, pai = hs.pai;
        double expected = hs.expected.value_or(nan);
        std::string name = hs.name;
        std::string wkb = hs.wkb;
        if (m_published) {
            // Everything derived comes from the published counts, so it gives back no more than they do.
            incidents = value(m_hotspot_table[h]);
            share = incidents / total_pub;
            density = incidents / area_km2;
            pai = m_raw.study_area_m2 > 0 ? share / (hs.area_m2 / m_raw.study_area_m2) : nan;
            expected = hs.expected && hs.incidents > 0 ? *hs.expected * incidents / hs.incidents : nan;
            if (const auto n = published_name(m_raw, m_members[h], static_cast<int>(h), hs.name); n != hs.name) {
                ++s.names_replaced;
                name = n;
            }
            if (snap) {
                wkb = snap_outline(m_ctx, hs.wkb, grid);
                ++s.outlines_generalised;
            }
        }
        const FieldValue ij_n;
        const std::array<FieldValue, 8> ij_pct;
        const FieldValue hidden{};
        ModelFeature f;
        f.values = {hs.code, static_cast<std::int64_t>(hs.rank), text_or_null(name), m_run.method, m_run.id,
                    m_run.period_from, m_run.period_to, text_or_null(m_run.categories), real_or_null(incidents),
                    real_or_null(share), area_km2, real_or_null(density), real_or_null(pai),
                    m_published ? hidden : optional_or_null(hs.mean_z),
                    m_published ? hidden : optional_or_null(hs.max_z),
                    hs.confidence ? FieldValue{static_cast<std::int64_t>(*hs.confidence)} : FieldValue{},
                    m_published ? hidden : optional_or_null(hs.peak_density), text_or_null(hs.trend),
                    text_or_null(hs.trend_class), ij_n, ij_pct[0], ij_pct[1], ij_pct[2], ij_pct[3],
                    real_or_null(expected), ij_pct[4], ij_pct[5], ij_pct[6], ij_pct[7]};
        f.wkb = std::move(wkb);
        return f;
    }

    void hotspots_layer(const DisclosureRules& rules) {
        ModelLayer layer;
        layer.name = "hotspots";
        layer.id_field = "code";
        layer.title = "Hotspots (" + method_title(m_run.method) + ")";
        layer.description = "Hotspots of " + m_run.categories + ", " + m_run.period_from + " to " +
                            m_run.period_to + ", ranked by incidents; code = the same place from run to run";
        layer.geometry = geo::GeometryKind::multipolygon;
        layer.fields = hotspot_fields();
        const bool snap = m_published && (m_run.method == "dbscan" || m_run.method == "kde" ||
                                          (m_run.method == "gistar" && m_run.cell_size < grid));
        const double total_pub = value(m_total);
        for (std::size_t h = 0; h < m_raw.hotspots.size(); ++h) {
            if (m_shown[h]) {
                layer.features.push_back(hotspot_feature(h, snap, total_pub));
            }
        }
        set_hotspot_referrals(layer, RunReferrals{m_raw.referrals_linked, m_raw.kpis}, m_model.profile, rules,
                              m_raw.secret);
        m_model.layers.push_back(std::move(layer));
    }

    void cells_layer() {
        if (!m_cells_published) {
            return;
        }
        ModelLayer layer;
        layer.name = "hotspot_cells";
        layer.title = m_run.method == "gistar" ? "Gi* cells" : "KDE hotspot cells";
        layer.description = m_run.method == "gistar"
                                ? (m_published ? "Grid cells with their count and Gi* confidence bin (-3..3)"
                                               : "Grid cells with their count, Gi* z, p, FDR-adjusted q and "
                                                 "confidence bin (-3..3)")
                                : "Grid cells at or above the KDE threshold, with density per km2";
        layer.geometry = geo::GeometryKind::polygon;
        layer.fields = {{"cell", FieldType::integer}, {"col", FieldType::integer},   {"row", FieldType::integer},
                        {"count", FieldType::real},   {"z", FieldType::real},         {"p", FieldType::real},
                        {"q", FieldType::real},       {"bin", FieldType::integer},    {"density", FieldType::real},
                        {"trend", FieldType::text},   {"trend_class", FieldType::text}, {"hotspot", FieldType::text}};
        const FieldValue hidden{};
        for (std::size_t c = 0; c < m_raw.cells.size(); ++c) {
            const auto& cell = m_raw.cells[c];
            const double x0 = m_run.origin_x + static_cast<double>(cell.col) * m_run.cell_size;
            const double y0 = m_run.origin_y + static_cast<double>(cell.row) * m_run.cell_size;
            // z, p and q are linear in (or functions of) the local sums, and a KDE density of a
            // lone point gives its count back: internal only. The bin is published.
            ModelFeature f;
            f.values = {cell.cell, cell.col, cell.row, real_or_null(value(m_cell_table[c])),
                        m_published ? hidden : optional_or_null(cell.z),
                        m_published ? hidden : optional_or_null(cell.p),
                        m_published ? hidden : optional_or_null(cell.q), static_cast<std::int64_t>(cell.bin),
                        m_published ? hidden : optional_or_null(cell.density), text_or_null(cell.trend),
                        text_or_null(cell.trend_class), text_or_null(cell.hotspot)};
            f.wkb = m_ctx.box(x0, y0, x0 + m_run.cell_size, y0 + m_run.cell_size).wkb();
            f.tiled = m_run.method != "gistar" || cell.bin != 0;
            layer.features.push_back(std::move(f));
        }
        m_model.layers.push_back(std::move(layer));
    }

    std::vector<geo::FieldDef> incident_fields() const {
        std::vector<geo::FieldDef> fields = {{"street", FieldType::text},
                                        {"lsoa_code", FieldType::text},
                                        {"lsoa_name", FieldType::text},
                                        {"total", FieldType::real}};
        for (const auto& m : m_raw.months) {
            fields.push_back({"m_" + m.substr(0, 4) + "_" + m.substr(5, 2), FieldType::real});
        }
        if (m_by_category) {
            for (const auto& c : m_raw.categories) {
                std::string name = "c_" + c.slug;
                std::replace(name.begin(), name.end(), '-', '_');
                fields.push_back({name, FieldType::real});
            }
        }
        return fields;
    }

    void incidents_layer() {
        ModelLayer layer;
        layer.name = "incidents";
        layer.title = "Incidents by location";
        layer.description = "Incidents of " + m_run.categories + " per police.uk location and month, " +
                            m_run.period_from + " to " + m_run.period_to;
        layer.geometry = geo::GeometryKind::point;
        layer.fields = incident_fields();
        // Ordered as before: police.uk locations, then generalised squares.
        for (std::size_t i = 0; i < m_places.size(); ++i) {
            const auto& p = m_places[i];
            if (m_published && m_place_sum[i] < m_k) {
                ++m_model.disclosure.locations_withheld;
                continue;
            }
            ModelFeature f;
            double total = m_published ? 0.0 : value(m_place_total[i]);
            if (m_published) {
                for (const auto id : m_place_month[i]) {
                    total += value(id); // NaN when any month is withheld
                }
            }
            f.values = {text_or_null(p.exact && m_published ? std::string{} : p.street), text_or_null(p.lsoa_code),
                        text_or_null(p.lsoa_name), real_or_null(total)};
            for (const auto id : m_place_month[i]) {
                f.values.push_back(real_or_null(value(id)));
            }
            for (const auto id : m_place_cat[i]) {
                f.values.push_back(real_or_null(value(id)));
            }
            f.wkb = m_ctx.point(p.x, p.y).wkb();
            layer.features.push_back(std::move(f));
        }
        m_model.layers.push_back(std::move(layer));
    }

    void study_area_layer() {
        if (m_run.area_wkb.empty()) {
            return;
        }
        ModelLayer layer;
        layer.name = "study_area";
        layer.title = "Study area";
        layer.description = "The area the run analysed: " + m_run.area;
        layer.geometry = geo::GeometryKind::multipolygon;
        layer.fields = {{"name", FieldType::text}, {"area_km2", FieldType::real}};
        layer.features.push_back(ModelFeature{{m_run.area, m_raw.study_area_m2 / 1e6}, m_run.area_wkb, true});
        m_model.layers.push_back(std::move(layer));
    }

    void kde_raster() {
        if (!m_raw.kde) {
            return;
        }
        const auto& r = *m_raw.kde;
        if (!m_published) {
            ModelRaster out;
            out.values.assign(r.values.begin(), r.values.end());
            out.columns = r.columns;
            out.rows = r.rows;
            out.origin_x = r.origin_x;
            out.origin_y = r.origin_y;
            out.cell_size = r.cell_size;
            out.description = "incidents per km2 (KDE)";
            m_model.kde = std::move(out);
            return;
        }
        m_model.kde = kde_classes(r);
    }

    // Block means on cells of at least 100 m, then the quintile class (1..5) of each
    // non-zero block: where the heat is, never a value that gives a count back.
    static ModelRaster kde_classes(const store::RasterRecord& r) {
        ModelRaster out;
        const int f = std::max(1, static_cast<int>(std::ceil(grid / std::max(r.cell_size, 1e-9) - 1e-9)));
        out.columns = (r.columns + f - 1) / f;
        out.rows = (r.rows + f - 1) / f;
        out.cell_size = r.cell_size * f;
        out.origin_x = r.origin_x;
        out.origin_y = r.origin_y;
        out.values.assign(static_cast<std::size_t>(out.columns) * static_cast<std::size_t>(out.rows), 0.0);
        std::vector<int> n(out.values.size(), 0);
        for (int row = 0; row < r.rows; ++row) {
            for (int col = 0; col < r.columns; ++col) {
                const auto o = static_cast<std::size_t>(row / f) * static_cast<std::size_t>(out.columns) +
                               static_cast<std::size_t>(col / f);
                out.values[o] += r.values[static_cast<std::size_t>(row) * static_cast<std::size_t>(r.columns) +
                                          static_cast<std::size_t>(col)];
                ++n[o];
            }
        }
        std::vector<double> positive;
        for (std::size_t i = 0; i < out.values.size(); ++i) {
            out.values[i] /= std::max(1, n[i]);
            if (out.values[i] > 0) {
                positive.push_back(out.values[i]);
            }
        }
        std::sort(positive.begin(), positive.end());
        for (auto& v : out.values) {
            if (v <= 0 || positive.empty()) {
                v = 0;
                continue;
            }
            const auto rank =
                static_cast<double>(std::upper_bound(positive.begin(), positive.end(), v) - positive.begin());
            v = std::ceil(5 * rank / static_cast<double>(positive.size()));
        }
        out.description = "KDE heat class 1 (lowest fifth) to 5 (highest fifth) on 100 m cells";
        return out;
    }

    const RawRun& m_raw;
    const store::StoredRun& m_run;
    bool m_published;
    double m_k;
    bool m_by_category = false;
    bool m_cells_published = false;
    RunModel m_model;
    geo::Context m_ctx;
    std::vector<RawPlace> m_places;                 // as the profile shows them
    std::vector<std::vector<std::size_t>> m_members; // per hotspot: indexes into raw.places
    std::vector<char> m_shown;                      // per hotspot
    sdc::Table m_table;
    std::vector<std::size_t> m_place_total;
    std::vector<std::vector<std::size_t>> m_place_month, m_place_cat;
    std::vector<sdc::CellKey> m_place_key;
    std::vector<double> m_place_sum;
    std::vector<std::size_t> m_cell_table;
    std::vector<std::size_t> m_hotspot_table;
    std::size_t m_total = none;
};

} // namespace

void set_hotspot_referrals(ModelLayer& hotspots, const RunReferrals& referrals, Profile profile,
                           const DisclosureRules& rules, const std::string& secret) {
    const int code = hotspots.field("code");
    const int n_field = hotspots.field("ij_referrals");
    // In the order of the layer's fields, each with the ratio it shows.
    const std::array<std::pair<const char*, referral::Ratio referral::Kpis::*>, 8> shares{{
        {"ij_contacted_48h_pct", &referral::Kpis::contacted_48h},
        {"ij_completed_pct", &referral::Kpis::completed},
        {"ij_not_reoffended_pct", &referral::Kpis::not_reoffended},
        {"ij_victim_satisfied_pct", &referral::Kpis::victim_satisfied},
        {"ij_onward_pct", &referral::Kpis::onward_any},
        {"ij_qualified_pct", &referral::Kpis::qualified},
        {"ij_interpreter_pct", &referral::Kpis::interpreter},
        {"ij_learnt_pct", &referral::Kpis::learnt_about_impact},
    }};
    std::array<int, 8> share_field{};
    for (std::size_t i = 0; i < shares.size(); ++i) {
        share_field[i] = hotspots.field(shares[i].first);
    }
    if (code < 0 || n_field < 0 || std::find(share_field.begin(), share_field.end(), -1) != share_field.end()) {
        throw Error("internal: layer '" + hotspots.name + "' has no referral attributes to set");
    }
    std::map<std::string, referral::Kpis> by_group;
    for (auto& g : disclose_kpis(referrals.kpis, profile, rules, secret)) {
        by_group.emplace(g.group, std::move(g));
    }
    for (auto& f : hotspots.features) {
        auto& values = f.values;
        values[static_cast<std::size_t>(n_field)] = FieldValue{};
        for (const int i : share_field) {
            values[static_cast<std::size_t>(i)] = FieldValue{};
        }
        const auto* c = std::get_if<std::string>(&values[static_cast<std::size_t>(code)]);
        const auto it = c ? by_group.find(*c) : by_group.end();
        if (it == by_group.end()) {
            if (referrals.linked) {
                values[static_cast<std::size_t>(n_field)] = FieldValue{0.0};
            }
            continue;
        }
        const auto& g = it->second;
        values[static_cast<std::size_t>(n_field)] = real_or_null(g.referrals);
        for (std::size_t i = 0; i < shares.size(); ++i) {
            const auto& ratio = g.*(shares[i].second);
            if (!ratio.suppressed && ratio.denominator > 0 && std::isfinite(g.referrals)) {
                values[static_cast<std::size_t>(share_field[i])] = FieldValue{100.0 * ratio.numerator / ratio.denominator};
            }
        }
    }
}

RunModel disclose(const RawRun& raw, Profile profile, const DisclosureRules& rules) {
    return Gate{raw, profile, rules}.run(rules);
}

} // namespace hotref::publish
