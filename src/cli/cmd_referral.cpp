#include "cli/commands.hpp"
#include "publish/model.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "publish/comparison.hpp"
#include "publish/costs_files.hpp"
#include "referral/cohort.hpp"
#include "referral/kpi.hpp"
#include "cli/scheme_costs.hpp"
#include "referral/registry.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace hotref::cli {

const char* ReferralCommand::details() const {
    return R"DOC(Actions:
  template            print the CSV template's header and an example row
  import FILE...      import a caseworker's or provider's CSV (the template's columns): new
                      references are created, known ones updated; every row is checked; one
                      transaction per file: a bad row stores nothing unless --skip-bad-rows
  set REF COL=VALUE...  create or update one referral with the same checks
  list                referrals (optionally --state S)
  show REF            one referral with its audit trail
  link                link every referral to a hotspot of a run (--run, default the latest
                      Gi* run): the one containing it, else the nearest within --within m
  purge               retention: remove personal data (person key, needs, interpreter, exact
                      location, incident time and references, escalation note, provider,
                      the old/new values in the audit) from referrals older than --months
                      months before --as-of, and their onward referrals, disclosure and survey
                      comment; the KPI fields stay; audited; then VACUUM and an emptied WAL
                      (docs/referrals.md#purge)
  kpis                the scheme's KPIs, for the whole scheme and per hotspot, each with its
                      numerator and denominator: contact, outcomes, reoffending, victims, and
                      onward referrals by agency and take-up, AQA units, interpreters, the
                      survey (consented only), workshops by type (published profile: figures
                      from fewer than 10 referrals withheld, complementary suppression)
  cohort-template     print the comparison cohort's CSV template (docs/compare.md)
  cohort-import FILE... import outcomes of comparable people dealt with by other routes
                      (charge-summons, caution, nfa): the person as the same keyed hash as a
                      referral's; one transaction per file, a bad row stores nothing; a row
                      imported again is unchanged
  compare             Immediate Justice against each other route: reoffending within
                      --months months (Wilson 95 % intervals), Kaplan-Meier curves of time to
                      reoffence (Greenwood, log-log intervals), first-time entrants, and the
                      Mantel-Haenszel risk difference stratified by offence x age band x
                      first-time entrant (Sato's variance); --ij all (every referral made,
                      the default) or completed; --from/--to on the start date; --csv FILE.
                      The routes are not randomised: read it with its selection-bias warning
  costs --config FILE the cost-benefit account (docs/costs.md): cost per referral, per
                      completion and per reoffence avoided against the config's comparator
                      route, officer time, harm avoided (Home Office unit costs of crime),
                      the benefit-cost ratio with its low-high range; --csv, --chart (PNG),
                      --html (the page "Scheme costs and outcomes")

The person's identifier (column person_id) is stored only as a keyed hash (HMAC-SHA-256
with the secret from HOTREF_REFERRAL_SECRET or --secret-file), never as given. Lifecycle:
referred -> contacted -> assessed -> workshop-booked -> workshop-attended -> reparation ->
completed / did-not-complete; refused and withdrawn close a referral at any stage; a
closed referral does not change (but its reoffence and victim answers can be recorded).
A person who refused before cannot be referred again (checked once a new referral passes
every other check; the answer names the earlier referral, and the check is recorded in
api_audit without the person); an incident has one referral.
Dates are ISO (2025-08-02T22:00) or UK, day first (02/08/2025 22:00, 02/08/2025); a
location is easting/northing (British National Grid) or latitude/longitude (WGS84).
A bad row is one rejected row, listed with each of its problems (file:line, column).
docs/referrals.md describes every column.

Exit status: 0 done (import: every file stored, bad rows skipped with --skip-bad-rows);
1 a file stored nothing, a change was rejected, or the store could not be read or
written; 2 bad arguments or no secret.

Examples:
  export HOTREF_REFERRAL_SECRET=$(cat /secure/hotref-referral.key)
  hotref referral template > referrals.csv
  hotref referral import referrals.csv --actor "J Smith (caseworker)"
  hotref referral set IJ-2025-0001 contacted_at=2025-03-02T10:00 --actor provider
  hotref referral set IJ-2025-0002 "assessed_at=04/03/2025 14:00" latitude=53.2350 longitude=-1.4210
  hotref referral set IJ-2025-0001 "onward_referrals=housing:2025-03-02:yes;mental-health:09/03/2025:unknown"
  hotref referral set IJ-2025-0001 learnt_about_impact=yes would_reoffend=no
  hotref referral list --state contacted
  hotref referral show IJ-2025-0001
  hotref referral link --within 250
  hotref referral kpis --months 12 --as-of 2026-06-30
  hotref referral cohort-template > cohort.csv
  hotref referral cohort-import cohort.csv
  hotref referral compare --months 12 --as-of 2026-12-31 --csv compare.csv
  hotref referral costs --config docs/examples/scheme-costs.conf --as-of 2026-12-31 --csv costs.csv \
    --chart costs.png --html costs.html)DOC";
}

void ReferralCommand::add_options(po::options_description& options, po::positional_options_description& positional) {
    add_store_option(options);
    options.add_options()
        ("action", po::value<std::string>(&m_action), "template, import, set, list or show")
        ("args", po::value<std::vector<std::string>>(&m_args), "files, or a reference and COL=VALUE pairs")
        ("secret-file", po::value<std::string>(&m_secret_file), "the person-hash secret (else $HOTREF_REFERRAL_SECRET)")
        ("actor", po::value<std::string>(&m_actor), "who is making the change (recorded in the audit trail)")
        ("state", po::value<std::string>(&m_state), "list: only referrals in this state")
        ("limit", po::value<int>(&m_limit)->default_value(50), "list: at most this many")
        ("skip-bad-rows", po::bool_switch(&m_skip_bad_rows), "import: store the good rows even if some are bad")
        ("run", po::value<std::int64_t>(&m_run)->default_value(0), "link, kpis: hotspot run (0: the latest Gi* run)")
        ("within", po::value<double>(&m_within)->default_value(250), "link: nearest hotspot within this many metres")
        ("months", po::value<int>(&m_months)->default_value(12), "kpis: reoffending follow-up in months")
        ("as-of", po::value<std::string>(&m_as_of), "kpis: the date of the figures, YYYY-MM-DD (default today)")
        ("profile", po::value<std::string>(&m_profile)->default_value("published"), "kpis: published or internal")
        ("by-month", "kpis: per month of referral instead of per hotspot")
        ("from", po::value<std::string>(&m_from), "compare, costs: first start date, YYYY-MM-DD")
        ("to", po::value<std::string>(&m_to), "compare, costs: last start date, YYYY-MM-DD")
        ("ij", po::value<std::string>(&m_ij)->default_value("all"), "compare, costs: IJ referrals: all (made) or completed")
        ("csv", po::value<std::string>(&m_csv), "compare, costs: write the table as CSV here")
        ("config", po::value<std::string>(&m_config), "costs: the cost parameters (docs/examples/scheme-costs.conf)")
        ("chart", po::value<std::string>(&m_chart), "costs: write the benefit-cost chart (PNG) here")
        ("html", po::value<std::string>(&m_html), "costs: write the page 'Scheme costs and outcomes' here")
        ("label", po::value<std::string>(&m_label),
         "compare, costs: a label printed on every output (e.g. 'SYNTHETIC data'); costs: instead of the config's");
    positional.add("action", 1).add("args", -1);
}

void ReferralCommand::apply(const po::variables_map& vm) {
    m_by_month = vm.count("by-month") != 0;
    static const std::vector<std::string> actions{"template", "import", "set",    "list",          "show",
                                                  "link",     "kpis",   "purge",  "cohort-template", "cohort-import",
                                                  "compare",  "costs"};
    if (std::find(actions.begin(), actions.end(), m_action) == actions.end()) {
        const std::string list = "template, import, set, list, show, link, kpis, purge, cohort-template, "
                                 "cohort-import, compare or costs";
        throw UsageError(m_action.empty() ? "give an action: " + list : "unknown action '" + m_action + "'; use " + list);
    }
    if (m_ij != "all" && m_ij != "completed") {
        throw UsageError("--ij must be all or completed");
    }
    if (m_action == "costs" && m_config.empty()) {
        throw UsageError("costs needs --config FILE (docs/examples/scheme-costs.conf is an example)");
    }
    if (m_action == "cohort-import" && m_args.empty()) {
        throw UsageError("cohort-import needs a file");
    }
    if (m_months < 1) {
        throw UsageError("--months must be at least 1");
    }
    if (m_action == "purge" && m_as_of.empty()) {
        throw UsageError("purge needs --as-of YYYY-MM-DD and --months N (the retention period)");
    }
    if ((m_action == "import" || m_action == "show" || m_action == "set") && m_args.empty()) {
        throw UsageError(m_action + " needs " + (m_action == "import" ? "a file" : "a referral reference"));
    }
    if (m_actor.empty()) {
        const char* user = std::getenv("USER");
        m_actor = user != nullptr ? user : "hotref";
    }
}

namespace {

// One heading per rejected row, then each of its problems as FILE:LINE: COLUMN (LETTER): reason.
void print_errors(const std::string& file, const std::vector<referral::RowError>& errors) {
    for (std::size_t i = 0; i < errors.size();) {
        std::size_t end = i;
        while (end < errors.size() && errors[end].line == errors[i].line) {
            ++end;
        }
        const auto& first = errors[i];
        std::cerr << file << ":" << first.line << ": row rejected"
                  << (first.reference.empty() ? "" : " (" + first.reference + ")") << ": " << (end - i)
                  << (end - i == 1 ? " problem\n" : " problems\n");
        for (; i < end; ++i) {
            const auto& e = errors[i];
            std::cerr << "  " << file << ":" << e.line << ": " << (e.field.empty() ? "" : e.field)
                      << (e.column > 0 ? " (column " + referral::spreadsheet_column(e.column) + ")" : "")
                      << (e.field.empty() && e.column == 0 ? "" : ": ") << e.reason << "\n";
        }
    }
}

// A share of a group's counts, or its count alone: "12" / "*" (withheld) / "-" (none).
std::string count_of(const referral::Ratio& r) {
    return r.suppressed ? "*" : std::to_string(static_cast<long long>(r.numerator));
}

// The scheme's evaluation KPIs (issue 18): onward support, AQA units, interpreters, the
// survey (consented only), and the workshops by type and the onward referrals by agency.
template <class RatioText>
void print_evaluation_kpis(const std::vector<referral::Kpis>& all, RatioText ratio) {
    std::printf("\nOnward support, qualifications and the survey (consented only)\n");
    std::printf("%-18s %-17s %-17s %-17s %-17s %-17s %-15s %-15s %-15s\n", "group", "onward referral", "AQA unit",
                "interpreter", "survey answered", "learnt impact", "reoffend: yes", "no", "unsure");
    for (const auto& k : all) {
        std::printf("%-18s %-17s %-17s %-17s %-17s %-17s %-15s %-15s %-15s\n", k.group.substr(0, 18).c_str(),
                    ratio(k.onward_any).c_str(), ratio(k.qualified).c_str(), ratio(k.interpreter).c_str(),
                    ratio(k.survey_answered).c_str(), ratio(k.learnt_about_impact).c_str(),
                    ratio(k.would_reoffend.at("yes")).c_str(), ratio(k.would_reoffend.at("no")).c_str(),
                    ratio(k.would_reoffend.at("unsure")).c_str());
    }
    std::printf("\nOnward referrals by agency: taken up / referred (people)\n%-18s", "group");
    for (const auto& a : referral::onward_agencies()) {
        std::printf(" %-22s", a.c_str());
    }
    std::printf("\n");
    for (const auto& k : all) {
        std::printf("%-18s", k.group.substr(0, 18).c_str());
        for (const auto& a : referral::onward_agencies()) {
            std::printf(" %-22s", ratio(k.onward.at(a)).c_str());
        }
        std::printf("\n");
    }
    std::printf("\nWorkshops by type (people)\n%-18s", "group");
    for (const auto& t : referral::workshop_types()) {
        std::printf(" %-17s", t.c_str());
    }
    std::printf("\n");
    for (const auto& k : all) {
        std::printf("%-18s", k.group.substr(0, 18).c_str());
        for (const auto& t : referral::workshop_types()) {
            std::printf(" %-17s", count_of(k.workshops.at(t)).c_str());
        }
        std::printf("\n");
    }
}


int import_cohort(const std::string& store_path, const std::vector<std::string>& files, const std::string& secret) {
    store::Store store{store_path, true};
    int status = 0;
    for (const auto& file : files) {
        const auto r = referral::import_cohort_csv(store, file, secret);
        print_errors(file, r.errors);
        if (r.committed) {
            std::printf("%s: %lld rows: %lld created, %lld updated, %lld unchanged\n", file.c_str(),
                        static_cast<long long>(r.rows), static_cast<long long>(r.created),
                        static_cast<long long>(r.updated), static_cast<long long>(r.unchanged));
        } else {
            std::fprintf(stderr, "%s: nothing stored: %lld of %lld rows rejected (%zu problem%s, listed above); fix them "
                                 "and import the file again\n",
                         file.c_str(), static_cast<long long>(r.rows_rejected()), static_cast<long long>(r.rows),
                         r.errors.size(), r.errors.size() == 1 ? "" : "s");
            status = 1;
        }
    }
    return status;
}

std::string pct(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
    return std::isfinite(v) ? std::string{buf} : std::string{"*"};
}

std::string with_ci(const evaluate::Proportion& p) {
    if (!std::isfinite(p.estimate)) {
        return std::isnan(p.n) || std::isnan(p.events) ? "*" : "-";
    }
    char buf[80];
    std::snprintf(buf, sizeof buf, "%.1f%% (%.1f-%.1f) %.0f/%.0f", 100 * p.estimate, 100 * p.lower, 100 * p.upper,
                  p.events, p.n);
    return buf;
}

std::string rd_text(const evaluate::RiskDifference& d) {
    if (!std::isfinite(d.estimate)) {
        return "-";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%+.1f pp (%+.1f to %+.1f)", 100 * d.estimate, 100 * d.lower, 100 * d.upper);
    return buf;
}

std::string money(double v) {
    if (!std::isfinite(v)) {
        return "-";
    }
    return (v < 0 ? "-GBP " : "GBP ") + with_commas(static_cast<std::int64_t>(std::llround(std::fabs(v))));
}

void print_cost_account(const evaluate::CostAccount& a, const evaluate::CostsConfig& config,
                        const evaluate::CostOutcomes& o, const referral::ComparisonResult& c) {
    std::printf("\nScheme costs and outcomes%s%s (%s)\n", a.label.empty() ? "" : ": ", a.label.c_str(),
                c.profile_note.c_str());
    std::printf("referrals %.0f, completed %.0f; reoffending within %d months: IJ %s, %s %s; %s IJ minus %s "
                "%s\n", o.referrals, o.completions, o.months, pct(o.ij_rate).c_str(), config.comparator.c_str(),
                pct(o.comparator_rate).c_str(), o.rd_basis.c_str(), config.comparator.c_str(),
                rd_text({o.rd, 0, o.rd_lower, o.rd_upper, 0}).c_str());
    std::printf("WARNING: the routes are not randomised (selection bias): the reoffences avoided are an association\n");
    std::printf("%-28s %16s %16s %16s\n", "", "low", "central", "high");
    auto row = [&](const char* name, double evaluate::CostScenario::*f, bool gbp) {
        std::printf("%-28s", name);
        for (const auto& s : a.scenarios) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.2f", s.*f);
            std::printf(" %16s", gbp ? money(s.*f).c_str() : std::isfinite(s.*f) ? buf : "-");
        }
        std::printf("\n");
    };
    using S = evaluate::CostScenario;
    row("programme cost", &S::programme_cost, true);
    row("cost per referral", &S::cost_per_referral, true);
    row("cost per completion", &S::cost_per_completion, true);
    row("reoffences avoided", &S::reoffences_avoided, false);
    row("cost per reoffence avoided", &S::cost_per_reoffence_avoided, true);
    row("officer hours saved", &S::officer_hours, false);
    row("officer time value", &S::officer_value, true);
    row("harm avoided", &S::harm_avoided, true);
    row("benefit-cost ratio", &S::bcr, false);
    for (const auto& n : a.notes) {
        std::printf("note: %s\n", n.c_str());
    }
}

void print_comparison(const referral::ComparisonResult& c) {
    std::printf("Immediate Justice compared with the other routes%s%s (%s)\n", c.label.empty() ? "" : ": ",
                c.label.c_str(), c.profile_note.c_str());
    std::printf("reoffending within %d months; data to %s; IJ: %s; start dates %s to %s\n", c.options.months,
                c.as_of.c_str(), c.options.completed_only ? "completed referrals" : "every referral made",
                c.options.from.empty() ? "the first" : c.options.from.c_str(),
                c.options.to.empty() ? "the last" : c.options.to.c_str());
    for (const auto& w : c.warnings) {
        std::printf("WARNING: %s\n", w.c_str());
    }
    std::printf("\n%-18s %7s  %-30s  %-32s  %-28s  %-28s %s\n", "route", "people", "first-time entrants (95% CI)",
                "reoffended (95% CI) n/followed", "IJ minus route: crude", "stratified (MH, Sato 95% CI)", "strata");
    for (const auto& r : c.routes) {
        const bool ij = r.route == referral::ij_route;
        char people[16];
        std::snprintf(people, sizeof people, "%.0f", r.people);
        std::string strata = ij ? "-" : std::to_string(r.mh.strata_used);
        std::string stratified = ij ? "-" : rd_text(r.mh);
        if (!ij && r.strata_dropped > 0) {
            // Published profile: the stratified figure is made from published strata only.
            stratified = "* (strata withheld)";
            strata = std::to_string(r.strata_dropped) + " with a count withheld; --profile internal shows it";
        }
        std::printf("%-18s %7s  %-30s  %-32s  %-28s  %-28s %s\n", r.route.c_str(),
                    std::isfinite(r.people) ? people : "*", with_ci(r.fte).c_str(), with_ci(r.reoffended).c_str(),
                    ij ? "-" : rd_text(r.crude).c_str(), stratified.c_str(), strata.c_str());
    }
    std::printf("\nTime to reoffence (Kaplan-Meier): share not reoffended, log-log 95%% CI, [at risk]; * withheld, - none\n"
                "%-18s", "route");
    const auto days = referral::km_report_days(c.options.months);
    for (const double d : days) {
        char head[32];
        std::snprintf(head, sizeof head, "day %.0f", d);
        std::printf(" %-26s", head);
    }
    std::printf("\n");
    for (const auto& r : c.routes) {
        std::printf("%-18s", r.route.c_str());
        auto bound = [](double v) { return std::isfinite(v) ? pct(v) : std::string{"-"}; };
        for (const auto& p : r.km) {
            char cell[64];
            if (r.people == 0) {
                std::snprintf(cell, sizeof cell, "-");  // nobody in this route
            } else if (!std::isfinite(p.survival)) {
                std::snprintf(cell, sizeof cell, "*");
            } else if (!std::isfinite(p.lower)) {
                std::snprintf(cell, sizeof cell, "%s [%.0f]", pct(p.survival).c_str(), p.at_risk); // S = 0: no interval
            } else {
                std::snprintf(cell, sizeof cell, "%s (%s-%s) [%.0f]", pct(p.survival).c_str(), bound(p.lower).c_str(),
                              bound(p.upper).c_str(), p.at_risk);
            }
            std::printf(" %-26s", cell);
        }
        std::printf("\n");
    }
}

} // namespace

int ReferralCommand::run() {
    if (m_action == "cohort-template") {
        std::cout << referral::cohort_template();
        return 0;
    }
    if (m_action == "template") {
        const auto& cols = referral::columns();
        for (std::size_t i = 0; i < cols.size(); ++i) {
            std::cout << (i ? "," : "") << cols[i];
        }
        std::cout << "\nIJ-2025-0001,2025-03-01T18:30,DC-2025-000101,2025-03-01T17:45,asb,nuisance,435170,335720,,,"
                     "community-resolution,10-17,yes,Derbyshire IJ Provider,FORCE-PERSON-ID-123,2025-03-02T10:00,"
                     "2025-03-04T14:00,none,no,2025-03-08T10:00,2025-03-08T11:00,litter-picking,8,8,completed,"
                     "2025-03-22T16:00,,,yes,yes,yes,asb-impact,AQA Unit Award (ASB and its victims),2025-03-08,"
                     "education-and-training:2025-03-04:yes;housing:04/03/2025:unknown,yes,housing,yes,no,\n";
        return 0;
    }
    if (m_action == "cohort-import") {
        return import_cohort(m_store_path, m_args, referral::referral_secret(m_secret_file));
    }
    if (m_action == "compare" || m_action == "costs") {
        return m_action == "compare" ? compare() : costs();
    }
    store::Store store{m_store_path, m_action == "import" || m_action == "set"};
    referral::RegistryOptions options;
    options.actor = m_actor;
    if (m_action == "import" || m_action == "set") {
        options.secret = referral::referral_secret(m_secret_file);
    }
    if (m_action == "import") {
        int status = 0;
        for (const auto& file : m_args) {
            const auto r = referral::import_csv(store, file, options, m_skip_bad_rows);
            print_errors(file, r.errors);
            for (const auto& reference : r.refused_before) {
                referral::audit_cli_refusal(store, m_actor, "referral import " + file, reference);
            }
            if (r.committed) {
                std::printf("%s: %lld rows: %lld created, %lld updated, %lld unchanged, %lld rejected%s\n",
                            file.c_str(), static_cast<long long>(r.rows), static_cast<long long>(r.created),
                            static_cast<long long>(r.updated), static_cast<long long>(r.unchanged),
                            static_cast<long long>(r.rows_rejected()), r.errors.empty() ? "" : " (skipped)");
            } else {
                std::fprintf(stderr,
                             "%s: nothing stored: %lld of %lld rows rejected (%zu problem%s, listed above); fix "
                             "them or give --skip-bad-rows\n",
                             file.c_str(), static_cast<long long>(r.rows_rejected()), static_cast<long long>(r.rows),
                             r.errors.size(), r.errors.size() == 1 ? "" : "s");
                status = 1;
            }
        }
        return status;
    }
    if (m_action == "purge") {
        // The cohort first: purge_personal_data ends with the VACUUM that erases both.
        const auto c = referral::purge_cohort(store, m_months, m_as_of);
        const auto n = referral::purge_personal_data(store, m_months, m_as_of, m_actor);
        std::printf("personal data removed from %lld referral(s) created more than %d months before %s\n",
                    static_cast<long long>(n), m_months, m_as_of.c_str());
        std::printf("person keys removed from %lld comparison cohort row(s) disposed of before then\n",
                    static_cast<long long>(c));
        return 0;
    }
    if (m_action == "link") {
        const auto r = referral::link_referrals(store, m_run, m_within);
        std::printf("referrals linked to the hotspots of run %lld: %lld inside, %lld within %.0f m, %lld outside, "
                    "%lld without a location\n",
                    static_cast<long long>(r.run_id), static_cast<long long>(r.inside), static_cast<long long>(r.near),
                    m_within, static_cast<long long>(r.outside), static_cast<long long>(r.no_location));
        return 0;
    }
    if (m_action == "kpis") {
        referral::KpiOptions ko;
        ko.run_id = m_run;
        ko.follow_up_months = m_months;
        ko.as_of = m_as_of;
        ko.by_month = m_by_month;
        const auto profile = publish::profile_from_name(m_profile);
        const auto all = publish::disclose_kpis(referral::referral_kpis(store, ko), profile, publish::DisclosureRules{},
                                                store::disclosure_secret(store));
        auto ratio = [](const referral::Ratio& r) {
            char buf[48];
            if (r.suppressed) {
                std::snprintf(buf, sizeof buf, "%s", "*");
            } else if (r.denominator == 0) {
                std::snprintf(buf, sizeof buf, "%s", "-");
            } else {
                std::snprintf(buf, sizeof buf, "%.0f%% (%.0f/%.0f)", 100 * r.numerator / r.denominator, r.numerator,
                              r.denominator);
            }
            return std::string{buf};
        };
        std::printf("Immediate Justice KPIs (%s profile, %s; reoffending within %d months; * withheld: fewer than 10)\n",
                    publish::profile_name(profile), publish::classification(profile), m_months);
        std::printf("%-18s %9s %-17s %-17s %-15s %-17s %-15s %-15s %6s\n", "group", "referrals", "contact<=48h",
                    "completed", "refused", "not reoffended", "victim satisf.", "first-time", "days");
        for (const auto& k : all) {
            char refs[16];
            std::snprintf(refs, sizeof refs, "%s", std::isnan(k.referrals) ? "<10" : std::to_string(static_cast<long long>(k.referrals)).c_str());
            std::printf("%-18s %9s %-17s %-17s %-15s %-17s %-15s %-15s %6s\n", k.group.substr(0, 18).c_str(), refs,
                        ratio(k.contacted_48h).c_str(), ratio(k.completed).c_str(), ratio(k.refused).c_str(),
                        ratio(k.not_reoffended).c_str(), ratio(k.victim_satisfied).c_str(),
                        ratio(k.first_time_entrants).c_str(),
                        k.median_days_to_completion < 0 ? "-" : std::to_string(static_cast<int>(k.median_days_to_completion)).c_str());
        }
        print_evaluation_kpis(all, ratio);
        return 0;
    }
    referral::Registry registry{store, options};
    if (m_action == "set") {
        std::map<std::string, std::string> fields{{"reference", m_args.front()}};
        for (std::size_t i = 1; i < m_args.size(); ++i) {
            const auto eq = m_args[i].find('=');
            if (eq == std::string::npos) {
                throw UsageError("'" + m_args[i] + "' is not COL=VALUE");
            }
            fields[m_args[i].substr(0, eq)] = m_args[i].substr(eq + 1);
        }
        try {
            store::Transaction tx{store};
            const auto what = registry.upsert(fields);
            tx.commit();
            std::printf("%s %s\n", m_args.front().c_str(), what.c_str());
            return 0;
        } catch (const referral::Rejected& r) {
            for (const auto& e : r.errors()) {
                std::cerr << m_args.front() << ": " << e.field << ": " << e.reason << "\n";
            }
            if (registry.last_refusal_check() == referral::RefusalCheck::refused_before) {
                referral::audit_cli_refusal(store, m_actor, "referral set", m_args.front());
            }
            return 1;
        }
    }
    if (m_action == "list") {
        const auto rows = registry.list(m_state, m_limit);
        std::printf("%-14s %-17s %-20s %-22s %-6s %-9s %s\n", "reference", "created", "offence", "disposal", "age",
                    "48h", "state");
        for (const auto& s : rows) {
            const auto in48 = s.r.contact_within_48h();
            std::printf("%-14s %-17s %-20s %-22s %-6s %-9s %s\n", s.r.reference.c_str(), s.r.created_at.c_str(),
                        s.r.offence.c_str(), s.r.disposal.c_str(), s.r.age_band.c_str(),
                        in48 ? (*in48 ? "yes" : "LATE") : "-", referral::state_name(s.r.state()));
        }
        std::printf("%zu referral(s)\n", rows.size());
        return 0;
    }
    // show
    const auto s = registry.find(m_args.front());
    if (!s) {
        throw Error("no referral " + m_args.front() + " in the store");
    }
    const auto& r = s->r;
    const auto in48 = r.contact_within_48h();
    std::printf("%s  %s  (%s)\n", r.reference.c_str(), referral::state_name(r.state()),
                in48 ? (*in48 ? "contacted within 48 hours" : "contacted LATE, after 48 hours") : "not yet contacted");
    std::printf("  created %s; offence %s%s; disposal %s; age %s; first-time entrant %s; provider %s\n",
                r.created_at.c_str(), r.offence.c_str(), r.asb_qualifier.empty() ? "" : (" (" + r.asb_qualifier + ")").c_str(),
                r.disposal.c_str(), r.age_band.c_str(), r.first_time_entrant ? "yes" : "no", r.provider.c_str());
    std::printf("  person key %s...\n", r.person_key.substr(0, 12).c_str());
    std::printf("  milestones: contacted %s, assessed %s, workshop booked %s, attended %s; outcome %s %s\n",
                r.contacted_at.empty() ? "-" : r.contacted_at.c_str(), r.assessed_at.empty() ? "-" : r.assessed_at.c_str(),
                r.workshop_booked_at.empty() ? "-" : r.workshop_booked_at.c_str(),
                r.workshop_attended_at.empty() ? "-" : r.workshop_attended_at.c_str(),
                r.outcome.empty() ? "-" : r.outcome.c_str(), r.outcome_at.c_str());
    auto yn = [](const std::optional<bool>& b) { return b ? (*b ? "yes" : "no") : "-"; };
    std::printf("  interpreter %s; workshop type %s; AQA unit %s%s%s\n", yn(r.interpreter),
                r.workshop_type.empty() ? "-" : r.workshop_type.c_str(), r.aqa_unit.empty() ? "-" : r.aqa_unit.c_str(),
                r.aqa_date.empty() ? "" : " on ", r.aqa_date.c_str());
    std::printf("  onward referrals %s; disclosure made %s%s%s\n", referral::onward_text(r.onward).c_str(),
                yn(r.disclosure_made), r.disclosure_agency.empty() ? "" : ", led to ", r.disclosure_agency.c_str());
    std::printf("  consent to evaluation %s; survey %s", yn(r.consent_evaluation),
                r.survey().empty() ? "-" : r.survey().c_str());
    if (r.survey() == "answered") {
        std::printf(": learnt about the impact %s, would reoffend %s%s%s", yn(r.learnt_about_impact),
                    r.would_reoffend.empty() ? "-" : r.would_reoffend.c_str(),
                    r.survey_comment.empty() ? "" : "; comment (internal): ", r.survey_comment.c_str());
    }
    std::printf("\naudit:\n");
    for (const auto& a : registry.audit(s->id)) {
        std::printf("  %s %s %s %s %s -> %s\n", a[0].c_str(), a[1].c_str(), a[2].c_str(), a[3].c_str(), a[4].c_str(),
                    a[5].c_str());
    }
    return 0;
}

namespace {

referral::CompareOptions compare_options(int months, const std::string& from, const std::string& to,
                                         const std::string& as_of, const std::string& ij) {
    referral::CompareOptions o;
    o.months = months;
    o.from = from;
    o.to = to;
    o.as_of = as_of;
    o.completed_only = ij == "completed";
    return o;
}

} // namespace

int ReferralCommand::compare() {
    store::Store store{m_store_path, store::OpenMode::read_only};
    const auto profile = publish::profile_from_name(m_profile);
    const auto counts = referral::compare_routes(store, compare_options(m_months, m_from, m_to, m_as_of, m_ij));
    auto result = publish::disclose_comparison(counts, profile, publish::DisclosureRules{},
                                               store::disclosure_secret(store));
    result.label = m_label;
    print_comparison(result);
    if (!m_csv.empty()) {
        publish::write_comparison_csv(result, m_csv);
        std::printf("wrote %s\n", m_csv.c_str());
    }
    return 0;
}

int ReferralCommand::costs() {
    const auto options = compare_options(m_months, m_from, m_to, m_as_of, m_ij);
    for (const auto& w : scheme_costs(m_store_path, m_config, options, publish::profile_from_name(m_profile),
                                      {m_csv, m_chart, m_html}, m_label)) {
        std::printf("wrote %s\n", w.c_str());
    }
    return 0;
}

std::vector<std::string> scheme_costs(const std::string& store_path, const std::string& config_path,
                                      const referral::CompareOptions& options, publish::Profile profile,
                                      const publish::CostFiles& files, const std::string& label) {
    // Validate the inputs before the store is read.
    auto config = evaluate::read_costs_config(config_path);
    if (!label.empty()) {
        config.label = label;
    }
    const auto unit_costs = evaluate::read_unit_costs(config.unit_costs_file);
    store::Store store{store_path, store::OpenMode::read_only};
    const auto counts = referral::compare_routes(store, options);
    auto comparison = publish::disclose_comparison(counts, profile, publish::DisclosureRules{},
                                                   store::disclosure_secret(store));
    comparison.label = config.label;
    const auto outcomes = publish::cost_outcomes(comparison, config.comparator);
    const auto account = evaluate::cost_account(config, unit_costs, outcomes);
    print_cost_account(account, config, outcomes, comparison);
    return publish::write_cost_files(account, config, outcomes, comparison, files);
}

} // namespace hotref::cli
