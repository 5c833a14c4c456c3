#pragma once
// Linking referrals to hotspots, and the scheme's key performance indicators
// per hotspot and for the whole scheme, each with numerator and denominator.

#include "referral/registry.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hotref::referral {

struct LinkReport {
    std::int64_t run_id = 0;
    std::int64_t inside = 0, near = 0, outside = 0, no_location = 0;
};

/// Links every referral with a location to the hotspots of `run_id` (0: the
/// latest Gi* run): the hotspot containing it (GEOS prepared point-in-polygon),
/// else the nearest within `within_m`, else outside. Replaces that run's links only.
LinkReport link_referrals(store::Store& store, std::int64_t run_id, double within_m);

struct Ratio {
    double numerator = 0;
    double denominator = 0;
    bool suppressed = false; // withheld by disclosure control (publish::disclose_kpis); then both are NaN
};

struct Kpis {
    std::string group;               // "scheme", a hotspot code, "outside hotspots"
    std::string name;                // hotspot name
    double referrals = 0;
    Ratio contacted_48h;             // contacted within 48 h / contacted
    Ratio completed;                 // completed / closed
    Ratio refused;                   // refused / closed
    Ratio withdrawn;                 // withdrawn / closed
    Ratio not_reoffended;            // no reoffence within N months / referrals with N months of follow-up
    Ratio victim_satisfied;          // satisfied / victims consulted
    Ratio first_time_entrants;       // / referrals
    Ratio youth;                     // aged 10-17 / referrals
    double median_days_to_completion = -1; // -1: none
    double reparation_hours = 0;
    // The scheme's own evaluation (issue 18; docs/referrals.md#kpis). Counts of people
    // (referrals): one person referred twice to an agency counts once for it.
    Ratio onward_any;                       // referrals with an onward referral / referrals
    std::map<std::string, Ratio> onward;    // per agency: taken up / referred to it
    Ratio qualified;                        // AQA unit gained / workshop attended
    Ratio interpreter;                      // interpreter used / interpreter recorded (yes or no)
    std::map<std::string, Ratio> workshops; // per workshop type: that type / a workshop type recorded
    Ratio survey_answered;                  // survey answered / consented to evaluation
    Ratio learnt_about_impact;              // yes / answered it (consented only)
    std::map<std::string, Ratio> would_reoffend; // yes, no, unsure / answered it (consented only)
};

/// The answers of the survey's would_reoffend question, in the order the KPIs list them.
const std::vector<std::string>& reoffend_answers();

struct KpiOptions {
    std::int64_t run_id = 0;         // grouping by the hotspots of this run (0: latest Gi* run)
    int follow_up_months = 12;
    std::string as_of;               // YYYY-MM-DD; empty: today
    bool by_month = false;           // groups: months of referral (YYYY-MM) instead of hotspots
};

/// True values: what a profile publishes of them is publish::disclose_kpis's to say.
/// The scheme first, then each hotspot with referrals (by rank) and "outside hotspots",
/// or, with by_month, each month in which referrals were made.
std::vector<Kpis> referral_kpis(store::Store& store, const KpiOptions& options);

} // namespace hotref::referral
