#include "cli/commands.hpp"
#include "publish/model.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "store/store.hpp"

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
  hotref referral kpis --months 12 --as-of 2026-06-30)DOC";
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
        ("by-month", "kpis: per month of referral instead of per hotspot");
    positional.add("action", 1).add("args", -1);
}

void ReferralCommand::apply(const po::variables_map& vm) {
    m_by_month = vm.count("by-month") != 0;
    if (m_action != "template" && m_action != "import" && m_action != "set" && m_action != "list" &&
        m_action != "show" && m_action != "link" && m_action != "kpis" && m_action != "purge") {
        throw UsageError(m_action.empty()
                             ? "give an action: template, import, set, list, show, link or kpis"
                             : "unknown action '" + m_action + "'; use template, import, set, list, show, link or kpis");
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

} // namespace

int ReferralCommand::run() {
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
        const auto n = referral::purge_personal_data(store, m_months, m_as_of, m_actor);
        std::printf("personal data removed from %lld referral(s) created more than %d months before %s\n",
                    static_cast<long long>(n), m_months, m_as_of.c_str());
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

} // namespace hotref::cli
