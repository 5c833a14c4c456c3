#pragma once
// Drives one feed file into the store: reads it (any kind), validates,
// projects each distinct map point once with PROJ, checks it against the
// study area, and writes the file's partitions in one transaction.

#include "geo/area.hpp"
#include "ingest/force_export.hpp"
#include "ingest/input.hpp"
#include "ingest/limits.hpp"
#include "store/store.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hotref::ingest {

struct IngestOptions {
    /// Partition label for police.uk API JSON feeds (the API does not name a force).
    std::string api_force = "police.uk API";
    /// Set for force exports.
    std::optional<ExportMapping> mapping;
    /// Where incidents must fall; England and Wales when unset.
    const geo::StudyArea* area = nullptr;
    /// How many rejected rows to keep as examples in the report.
    std::size_t reject_examples = 5;
    /// Store files even when identical content is already stored (after changing --area, say).
    bool reingest = false;
    /// What a file may hold (docs/operations.md#limits), and how its text is encoded.
    Limits limits;
    Encoding encoding = Encoding::utf8;
    /// New locations indexed in bulk per file (store::LocationBatch). false: one index
    /// insertion per point by SpatiaLite's own triggers (one round trip per point on
    /// PostgreSQL); the same store either way, which tests/ingest checks.
    bool bulk_locations = true;
};

struct FileReport {
    std::string name;
    std::string kind;
    std::string sha256;
    std::string status;   // stored, unchanged, failed
    std::string message;  // why it failed / what it replaced
    std::int64_t feed_id = 0;
    std::int64_t bytes = 0;
    std::int64_t rows_read = 0;
    std::int64_t rows_stored = 0;
    std::int64_t rows_rejected = 0;
    std::int64_t locations_added = 0;
    std::map<std::string, std::int64_t> rejects_by_code;
    std::vector<store::RejectRow> reject_examples;
    std::vector<std::string> partitions;      // "police.uk | Derbyshire Constabulary | 2025-01"
    std::int64_t partitions_replaced = 0;     // held rows from an earlier feed
    std::vector<std::string> notes;           // worth a user's attention (new categories, ...)
    double seconds = 0;
};

class Ingester {
public:
    Ingester(store::Store& store, IngestOptions options);
    ~Ingester();
    Ingester(const Ingester&) = delete;
    Ingester& operator=(const Ingester&) = delete;

    /// Ingests one file in one transaction. Never throws for a problem with the
    /// file itself: a fatal one (unreadable, wrong header) gives status
    /// "failed", nothing of the file stored, and the message says why.
    /// Store errors (disk full, ...) are thrown.
    FileReport ingest(const InputFile& file);

private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace hotref::ingest
