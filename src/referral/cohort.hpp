#pragma once
// The comparison cohort and the comparison of Immediate Justice with the other routes
// (issue 18; docs/compare.md). A cohort file holds outcomes of comparable people dealt with
// by a charge or summons, a caution without Immediate Justice, or no further action, in a
// minimal template; the person's identifier becomes the same keyed hash as a referral's.
// compare_routes() gathers the true counts (personal data stays here); what is shown of them
// is publish::disclose_comparison's to say.

#include "evaluate/survival.hpp"
#include "referral/registry.hpp"
#include "store/store.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hotref::referral {

/// The referral template's offences (referral.cpp), which a cohort row uses too.
const std::vector<std::string>& offence_names();

/// The routes of the comparison: Immediate Justice first, then the cohort's.
inline constexpr const char* ij_route = "immediate-justice";
const std::vector<std::string>& cohort_routes(); // charge-summons, caution, nfa

/// The cohort template's columns, in order.
const std::vector<std::string>& cohort_columns();
/// The template: header and one example row.
std::string cohort_template();

struct CohortImportReport {
    std::int64_t rows = 0, created = 0, updated = 0, unchanged = 0;
    std::vector<RowError> errors; // every problem, in file order
    bool committed = false;
    [[nodiscard]] std::int64_t rows_rejected() const;
};

/// Imports a cohort CSV in one transaction: with any bad row nothing is stored. A row
/// already stored (same route, person, offence and disposal date) is unchanged or updated.
/// `secret` keys the person hash (referral_secret). Throws InputError for a file that is
/// not the template (missing or unknown columns).
CohortImportReport import_cohort_csv(store::Store& store, const std::string& path, const std::string& secret);

/// Retention of the cohort: rows disposed of more than `months` months before `as_of` lose
/// their person key (their outcomes stay). Returns how many rows were purged now.
std::int64_t purge_cohort(store::Store& store, int months, const std::string& as_of);

struct CompareOptions {
    int months = 12;            // follow-up for "reoffended within N months"
    std::string from, to;       // start dates (referral created, disposal) in [from, to]; "" open
    std::string as_of;          // data end (YYYY-MM-DD; "" today): follow-up is censored here
    bool completed_only = false; // IJ: completed referrals only (default: every referral made)
};

/// One route's people and outcomes (true counts).
struct RouteCounts {
    std::string route;
    double people = 0;          // starts in the period, on or before as_of
    double fte = 0;             // of them first-time entrants
    double completed = 0;       // of them completed (IJ; 0 for the other routes)
    double followed = 0;        // with the full N months of follow-up before as_of
    double reoffended = 0;      // of those, reoffended within N months
    std::vector<evaluate::Subject> subjects; // days to reoffence, censored at N months or as_of
};

/// A stratum: offence x age band x first-time entrant, with each route's followed and reoffended.
struct StratumCounts {
    std::string offence, age_band;
    bool fte = false;
    std::map<std::string, std::array<double, 2>> by_route; // route -> {followed, reoffended}
    [[nodiscard]] std::string key() const { return offence + "|" + age_band + "|" + (fte ? "fte" : "not-fte"); }
};

struct ComparisonCounts {
    CompareOptions options;
    std::string as_of;                   // resolved
    std::vector<RouteCounts> routes;     // immediate-justice, charge-summons, caution, nfa
    std::vector<StratumCounts> strata;   // every stratum with someone followed up
    std::int64_t overlap = 0;            // cohort rows whose person also has a referral
    std::int64_t cohort_rows = 0, referrals = 0;
};

/// Gathers the comparison's true counts from the store.
ComparisonCounts compare_routes(store::Store& store, const CompareOptions& options);

/// One route's results as shown (after disclosure control when published).
struct RouteResult {
    std::string route;
    double people = 0;                   // NaN: withheld
    double completed = 0;                // IJ: completed referrals; NaN: withheld
    evaluate::Proportion fte;            // NaN: withheld
    evaluate::Proportion reoffended;     // within N months, Wilson interval; NaN: withheld
    std::vector<evaluate::KmStep> km;    // S(t) at 3, 6, ... N months (the last at N); NaN: withheld
    evaluate::RiskDifference crude;      // IJ rate minus this route's, unstratified (Wald); NaN for IJ
    evaluate::RiskDifference mh;         // IJ minus this route, stratified; NaN for IJ
    int strata_dropped = 0;              // strata with a count withheld (published: then mh is withheld)
};

struct ComparisonResult {
    std::string profile_note;
    std::string label;                   // printed on every output (e.g. SYNTHETIC data); "" none
    CompareOptions options;
    std::string as_of;
    std::vector<RouteResult> routes;     // IJ first
    std::vector<StratumCounts> strata;   // as shown (NaN: withheld)
    std::int64_t overlap = 0;
    std::vector<std::string> warnings;
};

/// The results from counts (true or published): Wilson intervals, the stratified MH risk
/// difference of IJ against each route over strata whose four counts are all shown, the
/// crude risk difference. `km` gives each route's curve points (computed by the caller).
ComparisonResult summarise_comparison(const ComparisonCounts& counts,
                                      const std::vector<std::vector<evaluate::KmStep>>& km);

/// The times (days) at which the curves are reported: every 3 months up to N, and N.
std::vector<double> km_report_days(int months);
/// Days in `months` months (30.4375 a month, as the KPIs count them).
long long follow_up_days(int months);

} // namespace hotref::referral
