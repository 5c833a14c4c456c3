#include "referral/kpi.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "geo/geos.hpp"
#include "store/links.hpp"
#include "store/referrals.hpp"
#include "store/runs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace hotref::referral {

namespace {

std::int64_t resolve_run(store::Store& store, std::int64_t run_id) {
    if (run_id != 0) {
        if (!store::read_run(store, run_id)) {
            throw Error("no run " + std::to_string(run_id) + " in the store");
        }
        return run_id;
    }
    const auto id = store::default_run_id(store);
    if (id == 0) {
        throw Error("no patrol (or Gi*) run to link referrals to; run 'hotref hotspots' first");
    }
    return id;
}

// Days since 1970 of "YYYY-MM-DD..." (the date part).
std::optional<long long> day_of(const std::string& text) {
    if (text.size() < 10) {
        return std::nullopt;
    }
    const auto d = parse_datetime(text.substr(0, 10), "%Y-%m-%d");
    if (!d) {
        return std::nullopt;
    }
    return d->days_since_epoch();
}

// What the scheme's evaluation KPIs count of one referral.
struct Facts {
    std::optional<bool> interpreter, consent, learnt;
    bool attended = false, qualified = false, answered = false;
    std::string workshop_type, would_reoffend;
    std::map<std::string, bool> onward; // agency -> taken up (any of its onward referrals)
};

void count_facts(Kpis& k, const Facts& f) {
    k.onward_any.denominator += 1;
    k.onward_any.numerator += f.onward.empty() ? 0 : 1;
    for (const auto& [agency, taken] : f.onward) {
        auto& r = k.onward[agency];
        r.denominator += 1;
        r.numerator += taken ? 1 : 0;
    }
    if (f.attended) {
        k.qualified.denominator += 1;
        k.qualified.numerator += f.qualified ? 1 : 0;
    }
    if (f.interpreter) {
        k.interpreter.denominator += 1;
        k.interpreter.numerator += *f.interpreter ? 1 : 0;
    }
    if (!f.workshop_type.empty()) {
        k.workshops[f.workshop_type].numerator += 1;
        for (auto& [type, r] : k.workshops) {
            r.denominator += 1;
        }
    }
    // The survey: consented only (answers are stored only with consent; this holds it here too).
    if (f.consent == true) {
        k.survey_answered.denominator += 1;
        k.survey_answered.numerator += f.answered ? 1 : 0;
        if (f.learnt) {
            k.learnt_about_impact.denominator += 1;
            k.learnt_about_impact.numerator += *f.learnt ? 1 : 0;
        }
        if (!f.would_reoffend.empty()) {
            k.would_reoffend[f.would_reoffend].numerator += 1;
            for (auto& [answer, r] : k.would_reoffend) {
                r.denominator += 1;
            }
        }
    }
}

// Every agency, workshop type and answer in each group, zero or not: the same cells everywhere.
void prefill(Kpis& k) {
    for (const auto& a : onward_agencies()) {
        k.onward[a];
    }
    for (const auto& t : workshop_types()) {
        k.workshops[t];
    }
    for (const auto& a : reoffend_answers()) {
        k.would_reoffend[a];
    }
}

} // namespace

const std::vector<std::string>& reoffend_answers() {
    static const std::vector<std::string> answers{"yes", "no", "unsure"};
    return answers;
}

LinkReport link_referrals(store::Store& store, std::int64_t run_id, double within_m) {
    LinkReport report;
    report.run_id = resolve_run(store, run_id);
    geo::Context ctx;
    struct Hotspot {
        std::int64_t id;
        std::string code;
        std::optional<geo::PreparedGeometry> prepared;
        double minx = 0, miny = 0, maxx = 0, maxy = 0; // envelope: tested before the polygon
    };
    std::vector<Hotspot> hotspots;
    for (auto& stored : store::read_hotspots(store, report.run_id)) {
        Hotspot h{stored.id, std::move(stored.code), std::nullopt};
        h.prepared.emplace(ctx, ctx.from_wkb(stored.wkb));
        h.prepared->geometry().bounds(h.minx, h.miny, h.maxx, h.maxy);
        hotspots.push_back(std::move(h));
    }
    store::relink_referrals(store, report.run_id, [&](const store::ReferralPoint& p) {
        store::LinkRow link;
        if (!p.easting || !p.northing) {
            link.kind = "no-location";
            ++report.no_location;
            return link;
        }
        const double x = *p.easting;
        const double y = *p.northing;
        const Hotspot* inside = nullptr;
        for (const auto& h : hotspots) {
            if (x >= h.minx && x <= h.maxx && y >= h.miny && y <= h.maxy && h.prepared->covers_point(x, y)) {
                inside = &h;
                break;
            }
        }
        const Hotspot* nearest = nullptr;
        double best = std::numeric_limits<double>::max();
        if (inside == nullptr && within_m > 0) {
            const auto point = ctx.point(x, y);
            for (const auto& h : hotspots) {
                const double dx = std::max({h.minx - x, 0.0, x - h.maxx});
                const double dy = std::max({h.miny - y, 0.0, y - h.maxy});
                if (dx * dx + dy * dy > within_m * within_m) {
                    continue; // its envelope is already too far
                }
                const double d = h.prepared->distance_to(point);
                if (d <= within_m && d < best) {
                    best = d;
                    nearest = &h;
                }
            }
        }
        if (inside != nullptr) {
            link = {"inside", inside->id, inside->code, 0.0};
            ++report.inside;
        } else if (nearest != nullptr) {
            link = {"near", nearest->id, nearest->code, best};
            ++report.near;
        } else {
            link.kind = "outside";
            ++report.outside;
        }
        return link;
    });
    return report;
}

std::vector<Kpis> referral_kpis(store::Store& store, const KpiOptions& opt) {
    const auto run_id = resolve_run(store, opt.run_id);
    const auto as_of = day_of(opt.as_of.empty() ? utc_today() : opt.as_of);
    if (!as_of) {
        throw UsageError("--as-of must be a date YYYY-MM-DD");
    }
    struct Row {
        std::string group, name;
        int rank = 1 << 30;
        std::string state, created_at, contacted_at, outcome_at, reoffence_date, age_band;
        std::optional<bool> in48, consulted, satisfied;
        bool fte = false;
        double hours = 0;
        Facts facts;
    };
    std::vector<Row> rows;
    auto onward = store::read_all_onward(store);
    for (auto& l : store::linked_referrals(store, run_id)) {
        Row r;
        r.group = std::move(l.hotspot_code);
        r.name = std::move(l.hotspot_name);
        r.rank = l.hotspot_rank.value_or(1000000000);
        r.state = std::move(l.state);
        r.created_at = std::move(l.created_at);
        r.contacted_at = std::move(l.contacted_at);
        r.outcome_at = std::move(l.outcome_at);
        r.reoffence_date = std::move(l.reoffence_date);
        r.age_band = std::move(l.age_band);
        r.in48 = l.contact_within_48h;
        r.consulted = l.victim_consulted;
        r.satisfied = l.victim_satisfied;
        r.fte = l.first_time_entrant;
        r.hours = l.hours_done;
        auto& f = r.facts;
        f.interpreter = l.interpreter;
        f.attended = !l.workshop_attended_at.empty();
        f.qualified = !l.aqa_date.empty();
        f.workshop_type = std::move(l.workshop_type);
        f.consent = l.consent_evaluation;
        f.answered = l.survey == "answered";
        f.learnt = l.learnt_about_impact;
        f.would_reoffend = std::move(l.would_reoffend);
        for (const auto& o : onward[l.referral_id]) {
            f.onward[o.agency] = f.onward[o.agency] || o.taken_up == "yes";
        }
        rows.push_back(std::move(r));
    }
    auto compute = [&](const std::string& group, const std::string& name, auto&& keep) {
        Kpis k;
        k.group = group;
        k.name = name;
        prefill(k);
        std::vector<double> days;
        for (const auto& r : rows) {
            if (!keep(r)) {
                continue;
            }
            k.referrals += 1;
            if (r.in48) {
                k.contacted_48h.denominator += 1;
                k.contacted_48h.numerator += *r.in48 ? 1 : 0;
            }
            const bool closed = r.state == "completed" || r.state == "refused" || r.state == "did-not-complete" ||
                                r.state == "withdrawn";
            if (closed) {
                for (auto* ratio : {&k.completed, &k.refused, &k.withdrawn}) {
                    ratio->denominator += 1;
                }
                k.completed.numerator += r.state == "completed" ? 1 : 0;
                k.refused.numerator += r.state == "refused" ? 1 : 0;
                k.withdrawn.numerator += r.state == "withdrawn" ? 1 : 0;
            }
            if (r.state == "completed") {
                const auto a = day_of(r.created_at);
                const auto b = day_of(r.outcome_at);
                if (a && b) {
                    days.push_back(static_cast<double>(*b - *a));
                }
                k.reparation_hours += r.hours;
            }
            // Reoffending within N months, only over referrals old enough to have been followed up.
            const auto created = day_of(r.created_at);
            const long long follow = static_cast<long long>(std::llround(opt.follow_up_months * 30.4375));
            if (created && *created + follow <= *as_of) {
                k.not_reoffended.denominator += 1;
                const auto re = day_of(r.reoffence_date);
                const bool reoffended = re && *re <= *created + follow;
                k.not_reoffended.numerator += reoffended ? 0 : 1;
            }
            if (r.consulted.value_or(false)) {
                k.victim_satisfied.denominator += 1;
                k.victim_satisfied.numerator += r.satisfied.value_or(false) ? 1 : 0;
            }
            k.first_time_entrants.denominator += 1;
            k.first_time_entrants.numerator += r.fte ? 1 : 0;
            k.youth.denominator += 1;
            k.youth.numerator += r.age_band == "10-17" ? 1 : 0;
            count_facts(k, r.facts);
        }
        if (!days.empty()) {
            std::sort(days.begin(), days.end());
            const auto n = days.size();
            k.median_days_to_completion = n % 2 == 1 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2;
        }
        return k;
    };
    std::vector<Kpis> out;
    out.push_back(compute("scheme", "all referrals", [](const Row&) { return true; }));
    if (opt.by_month) {
        std::map<std::string, int> months;
        for (const auto& r : rows) {
            ++months[r.created_at.substr(0, 7)];
        }
        for (const auto& [month, n] : months) {
            const std::string m = month;
            out.push_back(compute(m, "", [&m](const Row& r) { return r.created_at.compare(0, 7, m) == 0; }));
        }
        return out;
    }
    std::map<int, std::pair<std::string, std::string>> groups;
    for (const auto& r : rows) {
        if (!r.group.empty()) {
            groups.emplace(r.rank, std::pair{r.group, r.name});
        }
    }
    for (const auto& [rank, g] : groups) {
        const auto code = g.first;
        out.push_back(compute(code, g.second, [&code](const Row& r) { return r.group == code; }));
    }
    out.push_back(compute("outside hotspots", "", [](const Row& r) { return r.group.empty(); }));
    return out;
}

} // namespace hotref::referral
