#pragma once
// What the store holds, for `hotref status` (and later the service).

#include "hotref/v1/store.pb.h"
#include "store/store.hpp"

namespace hotref::store {

/// Fills a StoreStatus: counts, partitions (months x forces), categories
/// (totals and by month), the `recent` latest feeds, and rejects by feed and reason.
hotref::v1::StoreStatus read_status(Store& store, int recent = 20);

} // namespace hotref::store
