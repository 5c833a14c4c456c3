#pragma once
// `hotref store copy FROM TO`: a whole store moved between engines (SpatiaLite file ↔
// PostgreSQL/PostGIS database, or either to another of its kind), table by table in key
// order, in one transaction on the destination, with every table's row count checked
// against the source before it commits (docs/deployment.md#moving-a-store).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hotref::store {

struct CopiedTable {
    std::string name;
    std::int64_t rows = 0;
    double seconds = 0;
};

struct CopyReport {
    std::vector<CopiedTable> tables;
    std::int64_t rows = 0;
    double seconds = 0;
};

/// The tables of a store, parents before children (the order copy writes them in).
const std::vector<std::string>& store_tables();

/// Copies the store at `from` (opened read-only, read in one snapshot) into `to`, which
/// must be new or empty (a store with no feeds, runs, referrals or tokens: a fresh schema).
/// Everything is copied with its ids, including the disclosure key, so publications made
/// from the copy are those the source would make. Throws StoreError naming the table and
/// what to do; then `to` is left as it was (a SpatiaLite file the copy created is removed).
/// `progress` (when set) is told each table once it is copied.
CopyReport copy_store(const std::string& from, const std::string& to,
                      const std::function<void(const CopiedTable&)>& progress = {});

} // namespace hotref::store
