#pragma once
#include <vector>
#include <string>
#include <cstdint>
// What the store holds, for `hotref status` (and later the service).

#include "hotref/v1/store.pb.h"
#include "store/store.hpp"

namespace hotref::store {

/// Fills a StoreStatus: counts, partitions (months x forces), categories
/// (totals and by month), the `recent` latest feeds, and rejects by feed and reason.
hotref::v1::StoreStatus read_status(Store& store, int recent = 20);

/// A rejected source row, with the file it came from.
struct RejectLine {
    std::string file;
    std::int64_t line = 0;
    std::string field; // empty: the whole row
    std::string code;
    std::string reason;
};
/// The first `limit` rejected rows, by feed and line.
std::vector<RejectLine> first_rejects(Store& store, std::int64_t limit);
/// How many rejected rows the store holds.
std::int64_t count_rejects(Store& store);
/// How many referrals the store holds.
std::int64_t count_referrals(Store& store);

/// A short text that changes whenever a run, referral, link, evaluation or feed is added
/// or a referral updated (its audit trail grows): opens the store at `path` read-only on its
/// own connection, so it sees what other processes committed. For the service's
/// republishing: runs, evaluations and feeds before the '|', the referrals and their links
/// after it, so that a change of the referrals alone can be told apart.
std::string change_key(const std::string& path);

} // namespace hotref::store
