#pragma once
// Referrals linked to a run's hotspots (table referral_link): writing the links of a run,
// and reading referrals with their link for the KPIs, the evaluation and the service's
// referral layer. Never the person: these rows carry no person key.

#include "store/store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hotref::store {

/// Where a referral happened (no location: both empty).
struct ReferralPoint {
    std::int64_t referral_id = 0;
    std::optional<double> easting, northing;
};

/// How a referral is linked to a run.
struct LinkRow {
    std::string kind;                 // inside, near, outside, no-location
    std::int64_t hotspot_id = 0;      // 0: none (outside, no-location)
    std::string hotspot_code;         // "" when none
    std::optional<double> distance_m; // inside: 0; near: to the hotspot
};

/// Replaces the links of run `run_id`: every referral is passed to `decide`, in one
/// transaction (no referral written meanwhile is left out).
void relink_referrals(Store& store, std::int64_t run_id, const std::function<LinkRow(const ReferralPoint&)>& decide);

/// For each hotspot code of run `run_id`, the creation time of its first referral linked inside it.
std::map<std::string, std::string> first_referral_inside(Store& store, std::int64_t run_id);

/// A referral with its link to run `run_id`: what the KPIs count.
struct LinkedReferral {
    std::int64_t referral_id = 0;
    std::string hotspot_code, hotspot_name; // "" when not linked to a hotspot
    std::optional<int> hotspot_rank;
    std::string state, created_at, contacted_at, outcome_at, reoffence_date, age_band;
    std::optional<bool> contact_within_48h, victim_consulted, victim_satisfied;
    bool first_time_entrant = false;
    double hours_done = 0;
    std::optional<bool> interpreter, consent_evaluation, learnt_about_impact;
    std::string workshop_attended_at, aqa_date, workshop_type, survey, would_reoffend;
};
/// Every referral with its link to run `run_id` (unlinked ones too).
std::vector<LinkedReferral> linked_referrals(Store& store, std::int64_t run_id);

/// A referral as the service's referral layer shows it: where and what, never who.
struct ReferralFeature {
    std::string reference, state, offence, asb_qualifier, disposal, age_band, created_at, contacted_at, provider;
    std::optional<bool> contact_within_48h;
    std::string hotspot_code, link_kind; // "" when not linked to run `run_id`
    std::optional<double> easting, northing;
};
/// Every referral with its link to run `run_id`, by creation.
std::vector<ReferralFeature> referral_features(Store& store, std::int64_t run_id);

} // namespace hotref::store
