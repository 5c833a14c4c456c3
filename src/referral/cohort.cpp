#include "referral/cohort.hpp"

#include "core/error.hpp"
#include "core/csv.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "store/cohort.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace hotref::referral {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::optional<long long> day_of(const std::string& text) {
    if (text.size() < 10) {
        return std::nullopt;
    }
    const auto d = parse_datetime(text.substr(0, 10), "%Y-%m-%d");
    return d ? std::optional<long long>{d->days_since_epoch()} : std::nullopt;
}

std::string listed(const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
    }
    return out;
}

// A date column: ISO (YYYY-MM-DD) or UK (DD/MM/YYYY); "" with `problem` set when neither.
std::string date_field(const std::string& text, std::string& problem) {
    const auto uk = uk_date(text);
    if (!uk.problem.empty()) {
        problem = uk.problem;
        return {};
    }
    const std::string iso = uk.iso ? *uk.iso : text;
    if (iso.size() != 10 || !parse_datetime(iso, "%Y-%m-%d")) {
        problem = quote_value(text) + " is not a date: write YYYY-MM-DD or DD/MM/YYYY (a date, no time)";
        return {};
    }
    return iso;
}

struct Checked {
    store::CohortRow row;
    std::vector<FieldError> errors;
};

void check_choice(const std::string& field, const std::string& value, const std::vector<std::string>& allowed,
                  std::vector<FieldError>& errors) {
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
        errors.push_back({field, value.empty() ? "is empty: give one of " + listed(allowed)
                                               : quote_value(value) + " is not one of " + listed(allowed)});
    }
}

Checked check_row(const std::map<std::string, std::string>& f, const std::string& secret,
                  const std::string& purged_before) {
    Checked c;
    auto& r = c.row;
    auto& e = c.errors;
    r.route = to_lower(f.at("route"));
    check_choice("route", r.route, cohort_routes(), e);
    const auto& person = f.at("person_id");
    if (person.empty()) {
        e.push_back({"person_id", "is empty: the force's identifier of the person is needed (it is stored only as a keyed hash)"});
    } else {
        r.person_key = hmac_sha256_hex(secret, person);
    }
    r.offence = to_lower(f.at("offence"));
    check_choice("offence", r.offence, offence_names(), e);
    std::string problem;
    r.disposal_date = f.at("disposal_date").empty() ? std::string{} : date_field(f.at("disposal_date"), problem);
    if (f.at("disposal_date").empty()) {
        e.push_back({"disposal_date", "is empty: give the date of the disposal (YYYY-MM-DD), where follow-up starts"});
    } else if (!problem.empty()) {
        e.push_back({"disposal_date", problem});
    } else if (!purged_before.empty() && r.disposal_date < purged_before) {
        e.push_back({"disposal_date", r.disposal_date + " is before " + purged_before + ", the cohort's retention cutoff "
                                      "(hotref referral purge): its people's keys were removed and are not "
                                      "recorded again; drop the row"});
    }
    r.age_band = to_lower(f.at("age_band"));
    if (r.age_band != "10-17" && r.age_band != "adult") {
        e.push_back({"age_band", quote_value(f.at("age_band")) + " is not 10-17 or adult"});
    }
    const auto fte = to_lower(f.at("first_time_entrant"));
    if (fte == "yes" || fte == "no") {
        r.first_time_entrant = fte == "yes";
    } else {
        e.push_back({"first_time_entrant", quote_value(f.at("first_time_entrant")) + " is not yes or no"});
    }
    if (const auto& re = f.at("reoffence_date"); !re.empty()) {
        problem.clear();
        r.reoffence_date = date_field(re, problem);
        if (!problem.empty()) {
            e.push_back({"reoffence_date", problem});
        } else if (!r.disposal_date.empty() && r.reoffence_date < r.disposal_date) {
            e.push_back({"reoffence_date", r.reoffence_date + " is before the disposal date " + r.disposal_date});
        }
    }
    return c;
}

std::vector<std::string> read_header(CsvReader& csv, const std::string& path) {
    if (!csv.next()) {
        throw InputError(path + ": empty; expected the cohort template's header (hotref referral cohort-template)");
    }
    require_unique_columns(csv, path);
    std::vector<std::string> header;
    for (const auto f : csv.fields()) {
        header.emplace_back(to_lower(trim(f)));
    }
    std::string unknown, missing;
    for (const auto& h : header) {
        if (std::find(cohort_columns().begin(), cohort_columns().end(), h) == cohort_columns().end()) {
            unknown += (unknown.empty() ? "'" : ", '") + h + "'";
        }
    }
    for (const auto& c : cohort_columns()) {
        if (std::find(header.begin(), header.end(), c) == header.end()) {
            missing += (missing.empty() ? "'" : ", '") + c + "'";
        }
    }
    if (!unknown.empty() || !missing.empty()) {
        throw InputError(path + ": line 1: not the cohort template:" +
                         (unknown.empty() ? "" : " unknown column(s) " + unknown + ";") +
                         (missing.empty() ? "" : " missing column(s) " + missing + ";") +
                         " nothing was stored (hotref referral cohort-template prints the header)");
    }
    return header;
}

} // namespace

const std::vector<std::string>& cohort_routes() {
    static const std::vector<std::string> routes{"charge-summons", "caution", "nfa"};
    return routes;
}

const std::vector<std::string>& cohort_columns() {
    static const std::vector<std::string> cols{"route",    "person_id",          "offence",       "disposal_date",
                                               "age_band", "first_time_entrant", "reoffence_date"};
    return cols;
}

std::string cohort_template() {
    std::string out;
    for (std::size_t i = 0; i < cohort_columns().size(); ++i) {
        out += (i ? "," : "") + cohort_columns()[i];
    }
    return out + "\ncaution,FORCE-PERSON-ID-456,shop-theft,2025-03-04,adult,yes,\n"
                 "charge-summons,FORCE-PERSON-ID-789,criminal-damage,12/03/2025,10-17,no,2025-09-30\n";
}

std::int64_t CohortImportReport::rows_rejected() const {
    std::int64_t bad = 0;
    for (std::size_t i = 0; i < errors.size(); ++i) {
        bad += i == 0 || errors[i].line != errors[i - 1].line ? 1 : 0;
    }
    return bad;
}

CohortImportReport import_cohort_csv(store::Store& store, const std::string& path, const std::string& secret) {
    geo::VsiFile file{geo::vsi_path(path)};
    CsvOptions csv_options;
    csv_options.name = path;
    csv_options.encoding_hint = "re-save the file as UTF-8 (in Excel: Save As, \"CSV UTF-8\")";
    CsvReader csv{file, csv_options};
    const auto header = read_header(csv, path);
    const std::string purged_before = store::cohort_purged_before(store);
    const std::string now = store::utc_now();
    CohortImportReport report;
    std::map<std::string, std::int64_t> seen; // route|person|offence|date -> line
    store::Transaction tx{store};
    while (csv.next()) {
        ++report.rows;
        const auto line = static_cast<std::int64_t>(csv.line());
        if (csv.size() != header.size()) {
            report.errors.push_back({line, "", "", "expected " + std::to_string(header.size()) + " columns, found " +
                                                       std::to_string(csv.size()), 0});
            continue;
        }
        std::map<std::string, std::string> fields;
        for (std::size_t i = 0; i < header.size(); ++i) {
            fields[header[i]] = std::string{trim(csv[i])};
        }
        auto checked = check_row(fields, secret, purged_before);
        if (checked.errors.empty()) {
            const auto& r = checked.row;
            const auto [at, fresh] = seen.emplace(r.route + "|" + r.person_key + "|" + r.offence + "|" + r.disposal_date, line);
            if (!fresh) {
                checked.errors.push_back({"person_id", "the same person, route, offence and disposal date as line " +
                                                           std::to_string(at->second) + "; keep one of the rows"});
            }
        }
        if (!checked.errors.empty()) {
            for (const auto& e : checked.errors) {
                const auto col = std::find(header.begin(), header.end(), e.field);
                report.errors.push_back({line, "", e.field, e.reason,
                                         col == header.end() ? 0 : static_cast<int>(col - header.begin()) + 1});
            }
            continue;
        }
        const auto what = store::upsert_cohort_row(store, checked.row, now);
        (what == "created" ? report.created : what == "updated" ? report.updated : report.unchanged) += 1;
    }
    if (report.errors.empty()) {
        tx.commit();
        report.committed = true;
    }
    return report;
}

std::int64_t purge_cohort(store::Store& store, int months, const std::string& as_of) {
    const auto d = parse_datetime(as_of, "%Y-%m-%d");
    if (!d || as_of.size() != 10) {
        throw UsageError("--as-of must be a date YYYY-MM-DD");
    }
    if (months < 1) {
        throw UsageError("the retention period must be at least one month");
    }
    int index = d->year * 12 + (d->month - 1) - months;
    const int year = index / 12, month = index % 12 + 1;
    char cutoff[40];
    std::snprintf(cutoff, sizeof cutoff, "%04d-%02d-%02d", year, month, std::min(d->day, days_in_month(year, month)));
    store::Transaction tx{store};
    const auto n = store::purge_cohort(store, cutoff);
    tx.commit();
    return n;
}

long long follow_up_days(int months) {
    return static_cast<long long>(std::llround(months * 30.4375));
}

std::vector<double> km_report_days(int months) {
    std::vector<double> out;
    for (int m = 3; m < months; m += 3) {
        out.push_back(static_cast<double>(follow_up_days(m)));
    }
    out.push_back(static_cast<double>(follow_up_days(months)));
    return out;
}

namespace {

// One person's start and outcome, from a referral or a cohort row.
struct Person {
    std::string route, offence, age_band;
    bool fte = false;
    bool completed = false;
    long long start = 0;
    std::optional<long long> reoffence;
};

void count_person(ComparisonCounts& out, std::map<std::string, std::size_t>& strata, const Person& p, long long as_of,
                  long long follow) {
    auto& rc = *std::find_if(out.routes.begin(), out.routes.end(), [&](const RouteCounts& r) { return r.route == p.route; });
    rc.people += 1;
    rc.fte += p.fte ? 1 : 0;
    rc.completed += p.completed ? 1 : 0;
    // Time to reoffence, censored at N months or at the data end, whichever comes first.
    const long long horizon = std::min(follow, as_of - p.start);
    const bool event = p.reoffence && *p.reoffence - p.start <= horizon;
    rc.subjects.push_back({static_cast<double>(event ? *p.reoffence - p.start : horizon), event});
    if (p.start + follow > as_of) {
        return;  // not followed up for N months yet
    }
    rc.followed += 1;
    rc.reoffended += event ? 1 : 0;
    StratumCounts key{p.offence, p.age_band, p.fte, {}};
    auto [it, fresh] = strata.emplace(key.key(), out.strata.size());
    if (fresh) {
        for (const auto& r : out.routes) {
            key.by_route[r.route] = {0, 0};
        }
        out.strata.push_back(key);
    }
    auto& cell = out.strata[it->second].by_route[p.route];
    cell[0] += 1;
    cell[1] += event ? 1 : 0;
}

} // namespace

ComparisonCounts compare_routes(store::Store& store, const CompareOptions& options) {
    ComparisonCounts out;
    out.options = options;
    out.as_of = options.as_of.empty() ? utc_today() : options.as_of;
    const auto as_of = day_of(out.as_of);
    if (!as_of || out.as_of.size() != 10) {
        throw UsageError("--as-of must be a date YYYY-MM-DD");
    }
    for (const auto* d : {&options.from, &options.to}) {
        if (!d->empty() && (d->size() != 10 || !day_of(*d))) {
            throw UsageError("--from and --to must be dates YYYY-MM-DD");
        }
    }
    for (const auto& name : std::vector<std::string>{ij_route, "charge-summons", "caution", "nfa"}) {
        RouteCounts r;
        r.route = name;
        out.routes.push_back(std::move(r));
    }
    const long long follow = follow_up_days(options.months);
    auto in_period = [&](const std::string& date) {
        const auto day = date.substr(0, 10);
        return (options.from.empty() || day >= options.from) && (options.to.empty() || day <= options.to) &&
               day <= out.as_of;
    };
    std::map<std::string, std::size_t> strata;
    std::set<std::string> referred;
    for (const auto& r : store::read_referral_outcomes(store)) {
        referred.insert(r.person_key);
        const auto start = day_of(r.created_at);
        if (!start || !in_period(r.created_at) || (options.completed_only && r.state != "completed")) {
            continue;
        }
        ++out.referrals;
        count_person(out, strata, {ij_route, r.offence, r.age_band, r.first_time_entrant, r.state == "completed", *start,
                      day_of(r.reoffence_date)},
                     *as_of, follow);
    }
    for (const auto& c : store::read_cohort(store)) {
        const auto start = day_of(c.disposal_date);
        if (!start || !in_period(c.disposal_date)) {
            continue;
        }
        ++out.cohort_rows;
        out.overlap += referred.count(c.person_key) != 0 ? 1 : 0;
        count_person(out, strata, {c.route, c.offence, c.age_band, c.first_time_entrant, false, *start, day_of(c.reoffence_date)},
                     *as_of, follow);
    }
    std::sort(out.strata.begin(), out.strata.end(),
              [](const StratumCounts& a, const StratumCounts& b) { return a.key() < b.key(); });
    return out;
}

ComparisonResult summarise_comparison(const ComparisonCounts& counts,
                                      const std::vector<std::vector<evaluate::KmStep>>& km) {
    ComparisonResult out;
    out.options = counts.options;
    out.as_of = counts.as_of;
    out.strata = counts.strata;
    out.overlap = counts.overlap;
    auto proportion = [](double events, double n) {
        if (std::isnan(events) || std::isnan(n)) {
            return evaluate::Proportion{nan, nan, nan, nan, nan};
        }
        return evaluate::wilson(std::min(events, n), n);
    };
    const auto& ij = counts.routes.front();
    for (std::size_t i = 0; i < counts.routes.size(); ++i) {
        const auto& rc = counts.routes[i];
        RouteResult r;
        r.route = rc.route;
        r.people = rc.people;
        r.completed = rc.completed;
        r.fte = proportion(rc.fte, rc.people);
        r.reoffended = proportion(rc.reoffended, rc.followed);
        r.km = i < km.size() ? km[i] : std::vector<evaluate::KmStep>{};
        r.crude = r.mh = evaluate::RiskDifference{nan, nan, nan, nan, 0};
        if (i > 0 && std::isfinite(r.reoffended.n) && std::isfinite(ij.followed) && std::isfinite(ij.reoffended)) {
            r.crude = evaluate::mantel_haenszel_rd({{std::min(ij.reoffended, ij.followed), ij.followed,
                                                     std::min(rc.reoffended, rc.followed), rc.followed}});
        }
        if (i > 0) {
            std::vector<evaluate::Stratum> strata;
            for (const auto& s : counts.strata) {
                const auto& a = s.by_route.at(ij.route);
                const auto& b = s.by_route.at(rc.route);
                if (std::isnan(a[0]) || std::isnan(a[1]) || std::isnan(b[0]) || std::isnan(b[1])) {
                    // Withheld: a stratum with people in both groups is left out, and counted.
                    r.strata_dropped += 1;
                    continue;
                }
                strata.push_back({std::min(a[1], a[0]), a[0], std::min(b[1], b[0]), b[0]});
            }
            r.mh = evaluate::mantel_haenszel_rd(strata);
        }
        out.routes.push_back(std::move(r));
    }
    out.warnings.push_back(
        "SELECTION BIAS: the routes are not randomised. Who gets Immediate Justice, a caution, a charge or no "
        "further action is an officer's decision about the offence, the person and the evidence; stratifying by "
        "offence, age band and first-time entrant status removes only those differences. Read the differences as "
        "associations, not as the effect of Immediate Justice.");
    if (counts.overlap > 0) {
        out.warnings.push_back(std::to_string(counts.overlap) +
                               " cohort row(s) are people who also have an Immediate Justice referral; they stay in "
                               "both groups (each row is one disposal)");
    }
    return out;
}

} // namespace hotref::referral
