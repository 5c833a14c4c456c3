#pragma once
// The comparison cohort (table comparison_cohort, schema v9): outcomes of people dealt with
// by other routes than Immediate Justice (a charge or summons, a caution, no further action),
// and the referrals' outcomes the comparison reads. The store side of referral/cohort.hpp,
// so that the referral layer holds no new SQL. The person is only a keyed hash.

#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hotref::store {

struct CohortRow {
    std::string route;            // charge-summons, caution, nfa
    std::string person_key;       // HMAC-SHA-256 of the force's identifier ("purged:ID" after retention)
    std::string offence;          // the referral template's offences
    std::string disposal_date;    // YYYY-MM-DD: the start of follow-up
    std::string age_band;         // 10-17, adult
    bool first_time_entrant = false;
    std::string reoffence_date;   // YYYY-MM-DD, "" when none is known
};

/// Creates or updates the row of (route, person_key, offence, disposal_date); returns
/// "created", "updated" or "unchanged". Inside the caller's transaction.
std::string upsert_cohort_row(Store& store, const CohortRow& row, const std::string& now);
/// Every cohort row, by route and disposal date.
std::vector<CohortRow> read_cohort(Store& store);
/// Retention: rows with a disposal date before `cutoff` (YYYY-MM-DD) lose their person key
/// (it becomes "purged:" and the row id); the date before which rows were purged is kept
/// (meta cohort_purged_before) so that an import does not bring those keys back. Returns
/// how many rows were purged now.
std::int64_t purge_cohort(Store& store, const std::string& cutoff);
/// The latest retention cutoff of the cohort ("" when none).
std::string cohort_purged_before(Store& store);

/// What the comparison reads of a referral.
struct ReferralOutcomeRow {
    std::string person_key;
    std::string created_at;       // ISO
    std::string offence;
    std::string age_band;
    bool first_time_entrant = false;
    std::string state;            // completed, refused, ... or an open milestone
    std::string reoffence_date;   // "" when none
};

/// Every referral's outcome fields, in creation order.
std::vector<ReferralOutcomeRow> read_referral_outcomes(Store& store);

} // namespace hotref::store
