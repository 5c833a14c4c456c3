#pragma once
// The comparison of routes (hotref referral compare) as a profile publishes it, and its
// table as CSV. For the published profile every count (each route's people, first-time
// entrants, people followed up and reoffended, each stratum's, and the numbers still at
// risk on each curve) goes through the one disclosure control (publish/sdc.hpp): counts
// from 1 to min_referral_count - 1 withheld, the rest perturbed, and complementary
// suppression across the margins (a route's total = the sum of its strata, followed =
// reoffended + not reoffended, people = first-time entrants + others), so a total minus the
// strata shown cannot give back a withheld stratum. The rates, intervals and the crude risk
// differences are then computed from the published counts only; the stratified (MH) risk
// difference from every stratum's true counts, rounded to 0.1 percentage points and shown only
// where both groups' totals are published and at least min_referral_count people each (a
// pooled estimate over many people; most strata are too small to publish). Internal: true counts.

#include "publish/disclosure.hpp"
#include "referral/cohort.hpp"

#include <string>

namespace hotref::publish {

referral::ComparisonResult disclose_comparison(const referral::ComparisonCounts& counts, Profile profile,
                                               const DisclosureRules& rules, const std::string& secret);

/// Writes the comparison as CSV (one row per route and measure, then the strata). Throws Error.
void write_comparison_csv(const referral::ComparisonResult& result, const std::string& path);

} // namespace hotref::publish
