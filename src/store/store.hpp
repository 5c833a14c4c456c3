#pragma once
// The hotref store: one SpatiaLite file, or a PostgreSQL/PostGIS database when the location
// is a postgresql:// URL (docs/deployment.md). This is the only layer that speaks SQL;
// everything else goes through these calls and the repositories beside them.
//
// Data shape it exploits: police.uk locations are anonymised snap points
// shared by many incidents, so points live once in `location` (with geometry
// and a spatial index) and incidents refer to them by id. Rows with no
// identity of their own (ASB rows have no Crime ID) that agree on every stored
// field are kept once with a count `n`.

#include "store/sqlite.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hotref::store {

inline constexpr int schema_version = 9;

struct FeedRecord {
    std::string path;
    std::string name;
    std::string kind;     // policeuk-csv, policeuk-api-json, force-export
    std::string sha256;
    std::int64_t bytes = 0;
    std::int64_t rows_read = 0;
    std::int64_t rows_stored = 0;
    std::int64_t rows_rejected = 0;
    std::string status;   // stored, failed
    std::string message;
};

struct LocationRow {
    double lon = 0;
    double lat = 0;
    double easting = 0;
    double northing = 0;
    std::string street;     // "On or near ..." (police.uk) or a force's own text
    std::string lsoa_code;
    std::string lsoa_name;
    bool exact = false;     // a force's exact point (internal only), not a police.uk snap point
};

struct IncidentRow {
    std::int64_t partition_id = 0;
    std::int64_t seq = 0;          // line of the (first) source row; id = (partition_id << 32) + seq
    std::int64_t location_id = 0;
    std::int64_t category_id = 0;
    std::int64_t outcome_id = 0;   // 0: none
    std::int64_t falls_within_id = 0;
    std::string crime_id;
    std::string context;
    std::string occurred_at;       // ISO local date-time, force exports only
    std::string nsir;              // personal / nuisance / environmental
    std::string reference;         // force incident reference
    std::int64_t n = 1;
};

struct RejectRow {
    std::int64_t line = 0;
    std::string field;
    std::string code;
    std::string reason;
    std::string raw;
};

class Store {
public:
    /// Opens the store at `path`; creates it (with the schema) when `create`
    /// is true and the file does not exist. Migrates older schemas.
    Store(const std::string& path, bool create);
    /// OpenMode::read_only: for readers (status, layers, bulletin): never writes, works on a
    /// read-only file, folder or mount, and refuses an older schema (a writer migrates it).
    /// A writer on a read-only store fails with a message that says so.
    Store(const std::string& path, OpenMode mode);

    [[nodiscard]] const std::string& path() const noexcept { return m_db.path(); }

    /// Asks the store a trivial question; throws StoreError when it cannot answer (readiness).
    void ping();
    /// While set, a long statement asks `stop` now and then and fails ("interrupted") once it
    /// says true, so the transaction around it rolls back; an empty function clears it.
    void set_interrupt(std::function<bool()> stop) { m_db.set_interrupt(std::move(stop)); }

    // --- lookup tables (cached) ---
    std::int64_t force_id(const std::string& name);
    std::int64_t outcome_id(const std::string& name);
    /// Category by its police.uk name ("Anti-social behaviour"); an unknown
    /// name is added with a slug made from it.
    std::int64_t category_id(const std::string& name);
    /// Category by its police.uk API slug ("anti-social-behaviour"); nullopt if unknown.
    std::optional<std::int64_t> category_id_by_slug(const std::string& slug);
    /// Drop the lookup caches (after a rollback).
    void clear_caches();
    /// Names of categories added since the last call (not police.uk categories).
    std::vector<std::string> take_new_categories() { return std::exchange(m_new_categories, {}); }

    // --- locations ---
    /// Every location with an id above `after`, in id order.
    void for_each_location(const std::function<void(std::int64_t id, const LocationRow&)>& fn,
                           std::int64_t after = 0);
    std::int64_t insert_location(const LocationRow& row);
    /// Fills LSOA fields of a location that had none.
    void update_location_lsoa(std::int64_t id, const std::string& code, const std::string& name);

    // --- feeds, partitions, incidents, rejects (call inside a Transaction) ---
    std::int64_t insert_feed(const FeedRecord& feed);
    void finish_feed(std::int64_t feed_id, const FeedRecord& feed);
    /// Claims partition (source, force, month) for `feed_id`: removes the
    /// incidents an earlier feed stored there. Returns the partition id.
    std::int64_t claim_partition(const std::string& source, std::int64_t force_id, const std::string& month,
                                 std::int64_t feed_id);
    void set_partition_rows(std::int64_t partition_id, std::int64_t rows);
    /// The SHA-256 of the feed that currently owns partition (source, force, month), if any.
    std::optional<std::string> partition_owner_sha(const std::string& source, std::int64_t force_id,
                                                   const std::string& month);
    /// Whether a successfully stored feed had this content.
    bool has_stored_feed(const std::string& sha256);
    void insert_incident(const IncidentRow& row);
    /// Many at once (multi-row INSERTs of incident_batch rows): the ingest hot path.
    void insert_incidents(const std::vector<IncidentRow>& rows);
    static constexpr int incident_batch = 64;
    void insert_reject(std::int64_t feed_id, const RejectRow& row);

    // --- erasure ---
    /// Leaves nothing of deleted or overwritten rows in the files: VACUUM, then a
    /// TRUNCATE checkpoint that empties the -wal file. Call outside a transaction.
    /// Throws StoreError when another connection keeps the WAL from being emptied.
    void erase_free_space();

private:
    friend class Transaction;
    friend Database& connection(Store& store) noexcept;
    void create_schema();
    void open_postgres(OpenMode mode);
    void create_schema_postgres();
    std::string current_schema_name();
    void copy_incidents(const IncidentRow* rows, std::size_t count);
    static void bind_incident(Statement& st, int base, const IncidentRow& row);
    void migrate();
    void check_schema_for_reader();
    void check_writable();
    std::int64_t intern(std::unordered_map<std::string, std::int64_t>& cache, Statement& find, Statement& add,
                        const std::string& name);

public:
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

private:

    struct Prepared; // statements prepared once the schema exists

    Database m_db;
    std::unique_ptr<Prepared> m_sql;
    std::unordered_map<std::string, std::int64_t> m_forces;
    std::unordered_map<std::string, std::int64_t> m_outcomes;
    std::unordered_map<std::string, std::int64_t> m_categories;
    std::vector<std::string> m_new_categories;
    // PostgreSQL, while a LocationBatch is open: new locations get their ids here (the writer
    // lock is held, so max(id) + 1 onwards is free) and go to the server in one COPY at finish().
    friend class LocationBatch;
    void flush_pending_locations();
    bool m_buffer_locations = false;
    std::int64_t m_pending_first = 0;
    std::vector<LocationRow> m_pending_locations;
};

/// The store's SQLite connection: for the repositories of src/store and for the tests
/// only. Everything else asks a repository function (docs/store.md#repositories);
/// tests/store/test_boundary.cpp fails when a file of src/ outside src/store uses it.
inline Database& connection(Store& store) noexcept {
    return store.m_db;
}

/// Bulk insertion of locations inside one open Transaction (the ingest of a file).
///
/// SpatiaLite keeps `location.geom` checked and indexed with per-row triggers; its index
/// trigger (RTreeAlign) formats and prepares an SQL statement for every new point, which
/// made each new location cost ~40 µs. While a LocationBatch is open the location table's
/// triggers are set aside (their SQL kept as SpatiaLite wrote it); finish() then adds the
/// R*Tree entries of every location inserted since, in one INSERT … SELECT, stamps
/// geometry_columns_time once, and puts the triggers back, all before the caller commits.
/// A rollback (an exception before commit) undoes the whole batch, triggers included, so
/// a reader never sees a location without its index entry or a table without its triggers.
/// Points are made by Store::insert_location with MakePoint(easting, northing, 27700), so
/// the geometry constraint the set-aside trigger checks (POINT, SRID 27700) always holds.
///
/// On PostgreSQL the batch saves the round trip per point instead: insert_location hands
/// out ids from max(id) + 1 (the writer's advisory lock is held for the whole transaction)
/// and keeps the rows; finish() sends them in one COPY, with the geometry as hex EWKB, and
/// moves the identity sequence past them.
class LocationBatch {
public:
    explicit LocationBatch(Store& store);
    ~LocationBatch(); // without finish(): the batch is dropped with the rolled-back transaction
    LocationBatch(const LocationBatch&) = delete;
    LocationBatch& operator=(const LocationBatch&) = delete;
    /// Indexes the new locations and restores the triggers; call before Transaction::commit.
    void finish();

private:
    Store& m_store;
    std::int64_t m_last_id = 0;
    std::vector<std::string> m_triggers; // CREATE TRIGGER statements, in creation order
    bool m_finished = false;
};

/// Whether location.geom's spatial index matches the table (SpatiaLite's CheckSpatialIndex).
bool location_index_consistent(Store& store);

/// Current UTC time as ISO 8601 ("2026-11-21T05:32:00Z").
std::string utc_now();

/// The store's key for disclosure control's record keys (publish/sdc.hpp): 64 hex
/// digits made at random when the store was created (schema v7); never published.
std::string disclosure_secret(Store& store);

/// Whether any referral is linked to the hotspots of run `run_id`.
bool run_has_referral_links(Store& store, std::int64_t run_id);

/// The police.uk API slug for a category name: lower case, words joined by '-'.
std::string slug_of(const std::string& name);

} // namespace hotref::store
