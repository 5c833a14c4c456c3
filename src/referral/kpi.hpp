#pragma once
// Linking referrals to hotspots, and the scheme's key performance indicators
// per hotspot and for the whole scheme, each with numerator and denominator.

#include "referral/registry.hpp"
#include "store/store.hpp"

#include <cstdint>
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
};

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
