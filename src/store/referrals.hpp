#pragma once
// The rows of a referral's onward referrals (table referral_onward, schema v8): the
// store side of referral::OnwardReferral, so that the referral layer holds no new SQL.

#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hotref::store {

struct OnwardRow {
    std::string agency;
    std::string referred_on;   // YYYY-MM-DD
    std::string taken_up;      // yes, no, unknown
};

/// Replaces the onward referrals of `referral_id` with `rows` (in their order). Inside the caller's transaction.
void replace_onward(Database& db, std::int64_t referral_id, const std::vector<OnwardRow>& rows);
/// The onward referrals of one referral, in the order they were given.
std::vector<OnwardRow> read_onward(Database& db, std::int64_t referral_id);
/// Every referral's onward referrals, by referral id (for the KPIs).
std::map<std::int64_t, std::vector<OnwardRow>> read_all_onward(Store& store);
/// Retention: removes the onward referrals of every purged referral (person_key 'purged'); returns how many rows.
std::int64_t delete_purged_onward(Database& db);

} // namespace hotref::store
