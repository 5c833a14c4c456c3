#include "store/store.hpp"

#include <cstdlib>

#include "core/error.hpp"
#include "store/pg_schema.hpp"
#include "store/copy_format.hpp"
#include "store/postgres.hpp"
#include "util/sha256.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>

namespace hotref::store {

namespace {

// The police.uk categories, with the slugs its API uses for them.
struct KnownCategory {
    const char* name;
    const char* slug;
};
constexpr std::array<KnownCategory, 14> known_categories{{
    {"Anti-social behaviour", "anti-social-behaviour"},
    {"Bicycle theft", "bicycle-theft"},
    {"Burglary", "burglary"},
    {"Criminal damage and arson", "criminal-damage-arson"},
    {"Drugs", "drugs"},
    {"Other crime", "other-crime"},
    {"Other theft", "other-theft"},
    {"Possession of weapons", "possession-of-weapons"},
    {"Public order", "public-order"},
    {"Robbery", "robbery"},
    {"Shoplifting", "shoplifting"},
    {"Theft from the person", "theft-from-the-person"},
    {"Vehicle crime", "vehicle-crime"},
    {"Violence and sexual offences", "violent-crime"},
}};

constexpr const char* schema_sql = R"SQL(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE force (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE category (
  id     INTEGER PRIMARY KEY,
  name   TEXT NOT NULL UNIQUE,
  slug   TEXT NOT NULL UNIQUE,
  is_asb INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE outcome (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
-- One row per distinct map point (police.uk snap point or a force's exact point).
CREATE TABLE location (
  id        INTEGER PRIMARY KEY,
  lon       REAL NOT NULL,
  lat       REAL NOT NULL,
  easting   REAL NOT NULL,
  northing  REAL NOT NULL,
  street    TEXT,
  lsoa_code TEXT,
  lsoa_name TEXT,
  exact     INTEGER NOT NULL DEFAULT 0
);
SELECT AddGeometryColumn('location', 'geom', 27700, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('location', 'geom');
-- Every file ever ingested.
CREATE TABLE feed (
  id            INTEGER PRIMARY KEY,
  path          TEXT NOT NULL,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  bytes         INTEGER NOT NULL,
  rows_read     INTEGER NOT NULL DEFAULT 0,
  rows_stored   INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  status        TEXT NOT NULL,
  message       TEXT,
  started_at    TEXT NOT NULL,
  finished_at   TEXT
);
CREATE INDEX feed_sha256 ON feed (sha256);
-- A (source, force, month) slice; a newer feed of the same slice replaces it.
CREATE TABLE feed_partition (
  id       INTEGER PRIMARY KEY,
  source   TEXT NOT NULL,
  force_id INTEGER NOT NULL REFERENCES force (id),
  month    TEXT NOT NULL,
  feed_id  INTEGER NOT NULL REFERENCES feed (id),
  rows     INTEGER NOT NULL DEFAULT 0,
  UNIQUE (source, force_id, month)
);
-- Incidents. The rowid is (partition id << 32) + the source line, so a
-- partition is one contiguous rowid range: replaced by a range delete, appended
-- in order on ingest, and no extra index is needed.
-- n > 1: that many source rows identical in every stored field (ASB rows have no Crime ID).
-- crime_id: police.uk's 64-hex-digit Crime ID as a 32-byte blob (hex(crime_id) gives it back).
CREATE TABLE incident (
  id              INTEGER PRIMARY KEY,
  location_id     INTEGER NOT NULL,
  category_id     INTEGER NOT NULL,
  outcome_id      INTEGER,
  falls_within_id INTEGER,
  crime_id        BLOB,
  context         TEXT,
  occurred_at     TEXT,
  nsir            TEXT,
  reference       TEXT,
  n               INTEGER NOT NULL DEFAULT 1,
  partition_id    INTEGER GENERATED ALWAYS AS (id >> 32) VIRTUAL
);
-- Rows not stored, with where and why.
CREATE TABLE reject (
  id      INTEGER PRIMARY KEY,
  feed_id INTEGER NOT NULL REFERENCES feed (id),
  line    INTEGER NOT NULL,
  field   TEXT,
  code    TEXT NOT NULL,
  reason  TEXT NOT NULL,
  raw     TEXT
);
CREATE INDEX reject_feed ON reject (feed_id);
-- A readable view for analysts (one row per stored row; weight by n).
CREATE VIEW incident_v AS
SELECT p.month, p.source, f.name AS force, fw.name AS falls_within, c.name AS category, o.name AS outcome,
       CASE WHEN typeof(i.crime_id) = 'blob' THEN lower(hex(i.crime_id)) ELSE i.crime_id END AS crime_id,
       i.context, i.occurred_at, i.nsir, i.reference, i.n,
       l.id AS location_id, l.street, l.lsoa_code, l.lsoa_name, l.lon, l.lat, l.easting, l.northing
FROM incident i
JOIN feed_partition p ON p.id = (i.id >> 32)
JOIN force f ON f.id = p.force_id
LEFT JOIN force fw ON fw.id = i.falls_within_id
JOIN category c ON c.id = i.category_id
LEFT JOIN outcome o ON o.id = i.outcome_id
JOIN location l ON l.id = i.location_id;
)SQL";

constexpr int incident_columns = 11; // placeholders per row

std::string incident_insert_sql(int rows) {
    std::string sql = "INSERT INTO incident (id, location_id, category_id, outcome_id, falls_within_id, crime_id, "
                      "context, occurred_at, nsir, reference, n) VALUES ";
    for (int i = 0; i < rows; ++i) {
        sql += i == 0 ? "(?,?,?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?,?,?)";
    }
    return sql;
}

// Version 2: hotspot runs, their grid cells and hotspots.
constexpr const char* schema_v2_sql = R"SQL(
-- One analysis: a method over a period, categories and an area, with every effective parameter.
CREATE TABLE run (
  id                INTEGER PRIMARY KEY,
  method            TEXT NOT NULL,
  params            TEXT NOT NULL,
  period_from       TEXT NOT NULL,
  period_to         TEXT NOT NULL,
  categories        TEXT NOT NULL,
  source            TEXT NOT NULL,
  area              TEXT NOT NULL,
  incidents         REAL NOT NULL,
  incidents_outside REAL NOT NULL,
  locations         INTEGER NOT NULL,
  grid_origin_x     REAL,
  grid_origin_y     REAL,
  cell_size         REAL,
  grid_columns      INTEGER,
  grid_rows         INTEGER,
  cells             INTEGER,
  hotspots          INTEGER NOT NULL,
  fingerprint       TEXT NOT NULL,
  software          TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  seconds           REAL NOT NULL
);
SELECT AddGeometryColumn('run', 'area_geom', 27700, 'MULTIPOLYGON', 'XY');
-- Grid cells of a run (study cells only); geometry follows from the run's grid.
CREATE TABLE run_cell (
  run_id     INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  cell       INTEGER NOT NULL,
  col        INTEGER NOT NULL,
  row        INTEGER NOT NULL,
  count      REAL NOT NULL,
  z          REAL,
  p          REAL,
  q          REAL,
  bin        INTEGER NOT NULL,
  density    REAL,
  trend      TEXT,
  trend_class TEXT,
  mk_tau     REAL,
  mk_p       REAL,
  hotspot_id INTEGER,
  PRIMARY KEY (run_id, cell)
) WITHOUT ROWID;
-- Surfaces of a run (KDE density in incidents per km2): Float32 little-endian values,
-- row-major from the south-west cell; NaN outside the study area.
CREATE TABLE run_raster (
  run_id    INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  name      TEXT NOT NULL,
  columns   INTEGER NOT NULL,
  rows      INTEGER NOT NULL,
  origin_x  REAL NOT NULL,
  origin_y  REAL NOT NULL,
  cell_size REAL NOT NULL,
  data      BLOB NOT NULL,
  PRIMARY KEY (run_id, name)
);
-- DBSCAN runs: each location's incidents, cluster (NULL: noise) and whether it is a core point.
CREATE TABLE run_location (
  run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  location_id INTEGER NOT NULL,
  incidents   REAL NOT NULL,
  core        INTEGER NOT NULL,
  hotspot_id  INTEGER,
  PRIMARY KEY (run_id, location_id)
) WITHOUT ROWID;
-- Hotspots of a run. code (H-0001) names the same place from one run of a method to the next.
CREATE TABLE hotspot (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  code        TEXT NOT NULL,
  rank        INTEGER NOT NULL,
  name        TEXT,
  cells       INTEGER,
  area_m2     REAL NOT NULL,
  incidents   REAL NOT NULL,
  density_km2 REAL NOT NULL,
  share       REAL NOT NULL,
  mean_z      REAL,
  max_z       REAL,
  confidence  INTEGER,
  peak_density REAL,
  trend       TEXT,
  trend_class TEXT,
  pai         REAL NOT NULL,
  UNIQUE (run_id, code)
);
SELECT AddGeometryColumn('hotspot', 'geom', 27700, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('hotspot', 'geom');
CREATE INDEX hotspot_run ON hotspot (run_id);
-- How each run's hotspots relate to the previous run's of the same series (method, categories, source).
CREATE TABLE hotspot_lineage (
  run_id     INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  code       TEXT NOT NULL,
  event      TEXT NOT NULL CHECK (event IN ('continues', 'split', 'merged', 'new', 'retired')),
  other_code TEXT,
  overlap    REAL
);
CREATE INDEX hotspot_lineage_run ON hotspot_lineage (run_id);
)SQL";

// Version 3: Immediate Justice referrals (personal data: only here), their incidents and an audit trail.
constexpr const char* schema_v3_sql = R"SQL(
CREATE TABLE referral (
  id                   INTEGER PRIMARY KEY,
  reference            TEXT NOT NULL UNIQUE,
  created_at           TEXT NOT NULL,
  incident_at          TEXT,
  offence              TEXT NOT NULL,
  asb_qualifier        TEXT,
  easting              REAL,
  northing             REAL,
  disposal             TEXT NOT NULL,
  age_band             TEXT NOT NULL,
  first_time_entrant   INTEGER NOT NULL,
  provider             TEXT,
  person_key           TEXT NOT NULL,
  state                TEXT NOT NULL,
  contacted_at         TEXT,
  contact_within_48h   INTEGER,
  assessed_at          TEXT,
  needs                TEXT,
  interpreter          INTEGER,
  workshop_booked_at   TEXT,
  workshop_attended_at TEXT,
  reparation_type      TEXT,
  hours_set            REAL,
  hours_done           REAL,
  outcome_at           TEXT,
  escalation           TEXT,
  reoffence_date       TEXT,
  victim_consulted     INTEGER,
  victim_satisfied     INTEGER,
  consent_evaluation   INTEGER,
  updated_at           TEXT NOT NULL
);
CREATE INDEX referral_person ON referral (person_key);
-- One referral per incident.
CREATE TABLE referral_incident (
  incident_ref TEXT PRIMARY KEY,
  referral_id  INTEGER NOT NULL REFERENCES referral (id) ON DELETE CASCADE
);
-- Every change: who, when, what.
CREATE TABLE referral_audit (
  id          INTEGER PRIMARY KEY,
  referral_id INTEGER NOT NULL,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  field       TEXT,
  old_value   TEXT,
  new_value   TEXT
);
CREATE INDEX referral_audit_referral ON referral_audit (referral_id);
-- Which hotspot of a run each referral belongs to; one row per (referral, run), so the
-- history stays when hotspots are computed again.
CREATE TABLE referral_link (
  referral_id  INTEGER NOT NULL REFERENCES referral (id) ON DELETE CASCADE,
  run_id       INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  hotspot_id   INTEGER,
  hotspot_code TEXT,
  kind         TEXT NOT NULL CHECK (kind IN ('inside', 'near', 'outside', 'no-location')),
  distance_m   REAL,
  linked_at    TEXT NOT NULL,
  PRIMARY KEY (referral_id, run_id)
) WITHOUT ROWID;
)SQL";

// Version 4: before/after evaluations of a run's hotspots.
constexpr const char* schema_v4_sql = R"SQL(
CREATE TABLE evaluation (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  params     TEXT NOT NULL
);
-- Per hotspot (code) and for the scheme: counts, measures and monthly series (JSON).
CREATE TABLE evaluation_area (
  evaluation_id INTEGER NOT NULL REFERENCES evaluation (id) ON DELETE CASCADE,
  code          TEXT NOT NULL,
  name          TEXT,
  measures      TEXT NOT NULL,
  PRIMARY KEY (evaluation_id, code)
) WITHOUT ROWID;
)SQL";

// Service access: bearer tokens (only their SHA-256 is kept) and an audit of
// every write made through the service, with the token's name.
// Version 6: patrol hotspots carry their expected incidents per month.
// v7: the key of the cell-key perturbation (publish/sdc.hpp): random, per store, never published.
constexpr const char* schema_v7_sql = R"SQL(
INSERT OR IGNORE INTO meta (key, value) VALUES ('disclosure_secret', lower(hex(randomblob(32))));
)SQL";

// v8: the scheme's own evaluation facts of a referral (issue 18): workshop type, AQA unit,
// that a disclosure was made (never its content) and the agency it led to, survey answers
// (only with consent), and its onward referrals, one row each.
constexpr const char* schema_v8_sql = R"SQL(
ALTER TABLE referral ADD COLUMN workshop_type TEXT;
ALTER TABLE referral ADD COLUMN aqa_unit TEXT;
ALTER TABLE referral ADD COLUMN aqa_date TEXT;
ALTER TABLE referral ADD COLUMN disclosure_made INTEGER;
ALTER TABLE referral ADD COLUMN disclosure_agency TEXT;
ALTER TABLE referral ADD COLUMN survey TEXT;
ALTER TABLE referral ADD COLUMN learnt_about_impact INTEGER;
ALTER TABLE referral ADD COLUMN would_reoffend TEXT;
ALTER TABLE referral ADD COLUMN survey_comment TEXT;
CREATE TABLE referral_onward (
  referral_id INTEGER NOT NULL REFERENCES referral (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  agency      TEXT NOT NULL CHECK (agency IN ('drugs-and-alcohol', 'mental-health', 'education-and-training',
                                             'housing', 'youth-justice', 'family-support', 'other')),
  referred_on TEXT NOT NULL,
  taken_up    TEXT NOT NULL CHECK (taken_up IN ('yes', 'no', 'unknown')),
  PRIMARY KEY (referral_id, seq)
) WITHOUT ROWID;
)SQL";

// v9: the comparison cohort (issue 18): outcomes of people dealt with by other routes, for
// `hotref referral compare`. The person is only a keyed hash (as in referral.person_key);
// one row per (route, person, offence, disposal date), so a file imported again changes nothing.
constexpr const char* schema_v9_sql = R"SQL(
CREATE TABLE IF NOT EXISTS comparison_cohort (
  id                 INTEGER PRIMARY KEY,
  route              TEXT NOT NULL CHECK (route IN ('charge-summons', 'caution', 'nfa')),
  person_key         TEXT NOT NULL,
  offence            TEXT NOT NULL,
  disposal_date      TEXT NOT NULL,
  age_band           TEXT NOT NULL CHECK (age_band IN ('10-17', 'adult')),
  first_time_entrant INTEGER NOT NULL CHECK (first_time_entrant IN (0, 1)),
  reoffence_date     TEXT,
  imported_at        TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  UNIQUE (route, person_key, offence, disposal_date)
);
CREATE INDEX IF NOT EXISTS comparison_cohort_person ON comparison_cohort (person_key);
)SQL";

constexpr const char* schema_v6_sql = R"SQL(
ALTER TABLE hotspot ADD COLUMN expected REAL;
)SQL";

constexpr const char* schema_v5_sql = R"SQL(
CREATE TABLE api_token (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  revoked_at   TEXT
);
CREATE TABLE api_audit (
  id         INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  token_name TEXT NOT NULL,
  role       TEXT NOT NULL,
  method     TEXT NOT NULL,
  target     TEXT NOT NULL,
  status     INTEGER NOT NULL,
  summary    TEXT NOT NULL
);
)SQL";

} // namespace

namespace {

// Lower-case hex digit values; -1 for anything else (upper case would not round-trip).
constexpr std::array<signed char, 256> hex_table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    for (int c = '0'; c <= '9'; ++c) {
        t[static_cast<std::size_t>(c)] = static_cast<signed char>(c - '0');
    }
    for (int c = 'a'; c <= 'f'; ++c) {
        t[static_cast<std::size_t>(c)] = static_cast<signed char>(c - 'a' + 10);
    }
    return t;
}();

} // namespace

bool crime_id_bytes(const std::string& id, unsigned char (&out)[32]) noexcept {
    if (id.size() != 64) {
        return false;
    }
    int bad = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        const int hi = hex_table[static_cast<unsigned char>(id[2 * i])];
        const int lo = hex_table[static_cast<unsigned char>(id[2 * i + 1])];
        bad |= hi | lo;
        out[i] = static_cast<unsigned char>((hi << 4) | (lo & 0xF));
    }
    return bad >= 0;
}

struct Store::Prepared {
    explicit Prepared(Database& db)
        : find_force(db, "SELECT id FROM force WHERE name = ?"),
          add_force(db, "INSERT INTO force (name) VALUES (?)"),
          find_outcome(db, "SELECT id FROM outcome WHERE name = ?"),
          add_outcome(db, "INSERT INTO outcome (name) VALUES (?)"),
          find_category(db, "SELECT id FROM category WHERE name = ?"),
          add_category(db, "INSERT INTO category (name, slug, is_asb) VALUES (?, ?, 0)"),
          find_slug(db, "SELECT id FROM category WHERE slug = ?"),
          insert_location(db, "INSERT INTO location (lon, lat, easting, northing, street, lsoa_code, lsoa_name, exact, "
                              "geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, MakePoint(?, ?, 27700))"),
          update_lsoa(db, "UPDATE location SET lsoa_code = ?, lsoa_name = ? WHERE id = ? AND lsoa_code IS NULL"),
          insert_incident(db, incident_insert_sql(1)),
          insert_incidents(db, incident_insert_sql(incident_batch)),
          insert_reject(db, "INSERT INTO reject (feed_id, line, field, code, reason, raw) VALUES (?, ?, ?, ?, ?, ?)"),
          insert_feed(db, "INSERT INTO feed (path, name, kind, sha256, bytes, status, started_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)"),
          finish_feed(db, "UPDATE feed SET rows_read = ?, rows_stored = ?, rows_rejected = ?, status = ?, "
                          "message = ?, finished_at = ?, sha256 = ?, bytes = ? WHERE id = ?"),
          stored_sha(db, "SELECT count(*) FROM feed WHERE status = 'stored' AND sha256 = ?"),
          find_partition(db, "SELECT id FROM feed_partition WHERE source = ? AND force_id = ? AND month = ?"),
          add_partition(db, "INSERT INTO feed_partition (source, force_id, month, feed_id) VALUES (?, ?, ?, ?)"),
          own_partition(db, "UPDATE feed_partition SET feed_id = ?, rows = 0 WHERE id = ?"),
          clear_partition(db, "DELETE FROM incident WHERE id >= (CAST(?1 AS BIGINT) << 32) AND "
                              "id < ((CAST(?1 AS BIGINT) + 1) << 32)"),
          partition_rows(db, "UPDATE feed_partition SET rows = ? WHERE id = ?"),
          owner_sha(db, "SELECT fd.sha256 FROM feed_partition p JOIN feed fd ON fd.id = p.feed_id "
                        "WHERE p.source = ? AND p.force_id = ? AND p.month = ?") {}

    Statement find_force, add_force, find_outcome, add_outcome, find_category, add_category, find_slug;
    Statement insert_location, update_lsoa, insert_incident, insert_incidents, insert_reject, insert_feed, finish_feed, stored_sha;
    Statement find_partition, add_partition, own_partition, clear_partition, partition_rows, owner_sha;
};

Store::Store(const std::string& path, bool create) : Store(path, create ? OpenMode::create : OpenMode::read_write) {}

Store::Store(const std::string& path, OpenMode mode) : m_db(path, mode) {
    if (m_db.postgres()) {
        open_postgres(mode);
        return;
    }
    m_db.load_spatialite();
    if (mode == OpenMode::read_only) {
        m_db.exec("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;");
        check_schema_for_reader();
        m_sql = std::make_unique<Prepared>(m_db);
        return;
    }
    check_writable();
    // WAL: readers keep working while an ingest writes; NORMAL sync is durable
    // at checkpoints and never corrupts (a crash loses at most the last commit).
    // 16 KiB pages: fewer, fuller b-tree pages for long append-only tables (set before the first table).
    m_db.exec("PRAGMA page_size = 16384");
    m_db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
              "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;");
    // Deleted and overwritten content is zeroed in its page, so that removed personal
    // data (referral purge) is not left readable in free space (docs/referrals.md#purge).
    m_db.exec("PRAGMA secure_delete = ON");
    const bool fresh = m_db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'meta'") == 0;
    if (fresh) {
        const bool empty = m_db.query_int("SELECT count(*) FROM sqlite_master") == 0;
        if (!empty) {
            throw StoreError(path + ": this is an SQLite file but not a hotref store; give another --store path");
        }
        create_schema();
    }
    migrate();
    m_sql = std::make_unique<Prepared>(m_db);
}

void Store::check_writable() {
    // SQLite falls back to read-only when the file cannot be written; a folder that cannot be
    // written fails later, at the -wal file. Say so now, before anything is read or changed.
    if (m_db.read_only() || !writable(m_db.path())) {
        throw StoreError(m_db.path() + ": the store is read-only (the file or its folder cannot be written); this "
                         "command writes to it: make the file and its folder writable, or use a writable copy "
                         "(readers such as 'hotref status' and 'hotref layers' work on a read-only store)");
    }
}

namespace {

// 64 hex digits from OpenSSL's random generator (as SQLite's lower(hex(randomblob(32)))).
std::string random_key() {
    return hex(random_bytes(32));
}

} // namespace

void Store::open_postgres(OpenMode mode) {
    if (mode == OpenMode::read_only) {
        check_schema_for_reader();
        m_sql = std::make_unique<Prepared>(m_db);
        return;
    }
    if (!m_db.has_table("meta")) {
        // Writers take turns (Transaction's lock), so two first writers create the schema once.
        Transaction tx{m_db};
        if (!m_db.has_table("meta")) {
            if (m_db.query_int("SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                            "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
                            "'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')") != 0) {
                throw StoreError(m_db.path() + ": this PostgreSQL schema (" + current_schema_name() +
                                 ") holds tables but no hotref store; give another database or schema "
                                 "(?options=-csearch_path=NAME)");
            }
            if (mode != OpenMode::create) {
                throw StoreError(m_db.path() + ": no store in this database yet; run 'hotref ingest --store " +
                                 m_db.path() + " …' first");
            }
            create_schema_postgres();
        }
        tx.commit();
    }
    migrate();
    m_sql = std::make_unique<Prepared>(m_db);
}

std::string Store::current_schema_name() {
    Statement st{m_db, "SELECT current_schema()"};
    return st.step() ? st.column_text(0) : std::string{};
}

void Store::create_schema_postgres() {
    m_db.exec(postgres_schema_sql);
    Statement meta{m_db, "INSERT INTO meta (key, value) VALUES (?, ?)"};
    meta.bind(1, "schema_version").bind(2, std::to_string(schema_version)).run();
    meta.bind(1, "created_at").bind(2, utc_now()).run();
    meta.bind(1, "created_by").bind(2, std::string{"hotref "} + HOTREF_VERSION).run();
    meta.bind(1, "disclosure_secret").bind(2, random_key()).run();
    Statement cat{m_db, "INSERT INTO category (name, slug, is_asb) VALUES (?, ?, ?)"};
    for (const auto& c : known_categories) {
        cat.bind(1, c.name).bind(2, c.slug).bind(3, std::string_view{c.slug} == "anti-social-behaviour" ? 1 : 0).run();
    }
}

void Store::check_schema_for_reader() {
    if (!m_db.has_table("meta")) {
        throw StoreError(m_db.path() + ": not a hotref store (no meta table); give another --store path");
    }
    const auto version = m_db.query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'");
    if (version > schema_version) {
        throw StoreError(m_db.path() + ": store schema version " + std::to_string(version) +
                         " is newer than this hotref understands (" + std::to_string(schema_version) +
                         "); upgrade hotref");
    }
    if (version < schema_version) {
        throw StoreError(m_db.path() + ": store schema version " + std::to_string(version) + " is older than this " +
                         "hotref's (" + std::to_string(schema_version) + ") and this command only reads; run a " +
                         "command that writes once to upgrade it (e.g. 'hotref token list --store " + m_db.path() +
                         "') on a writable store");
    }
}

Store::~Store() = default;

void Store::create_schema() {
    Transaction tx{m_db};
    // Spatial metadata with only the reference systems we use (fast, small).
    m_db.exec("SELECT InitSpatialMetaData(0, 'NONE'); SELECT InsertEpsgSrid(4326); SELECT InsertEpsgSrid(27700);");
    m_db.exec(schema_sql);
    Statement meta{m_db, "INSERT INTO meta (key, value) VALUES (?, ?)"};
    meta.bind(1, "schema_version").bind(2, "1").run(); // migrate() takes it on from version 1
    meta.bind(1, "created_at").bind(2, utc_now()).run();
    meta.bind(1, "created_by").bind(2, std::string{"hotref "} + HOTREF_VERSION).run();
    Statement cat{m_db, "INSERT INTO category (name, slug, is_asb) VALUES (?, ?, ?)"};
    for (const auto& c : known_categories) {
        cat.bind(1, c.name).bind(2, c.slug).bind(3, std::string_view{c.slug} == "anti-social-behaviour" ? 1 : 0).run();
    }
    tx.commit();
}

void Store::migrate() {
    const auto version = m_db.query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'");
    if (version > schema_version) {
        throw StoreError(m_db.path() + ": store schema version " + std::to_string(version) +
                         " is newer than this hotref understands (" + std::to_string(schema_version) +
                         "); upgrade hotref");
    }
    if (m_db.postgres()) {
        // The PostgreSQL schema starts at version 9 (made whole by create_schema_postgres);
        // its later versions will be steps of their own here.
        if (version < schema_version) {
            throw StoreError(m_db.path() + ": store schema version " + std::to_string(version) +
                             " has no PostgreSQL migration to version " + std::to_string(schema_version));
        }
        return;
    }
    // Each step brings the store up one version, in a transaction of its own.
    struct Step {
        int version;
        const char* sql;
    };
    static const Step steps[] = {
        {2, schema_v2_sql}, {3, schema_v3_sql}, {4, schema_v4_sql}, {5, schema_v5_sql}, {6, schema_v6_sql}, {7, schema_v7_sql},
        {8, schema_v8_sql}, {9, schema_v9_sql},
    };
    static_assert(std::size(steps) == schema_version - 1, "one migration step per schema version");
    for (const auto& step : steps) {
        if (version >= step.version) {
            continue;
        }
        Transaction tx{m_db};
        m_db.exec(step.sql);
        m_db.exec("UPDATE meta SET value = '" + std::to_string(step.version) + "' WHERE key = 'schema_version'");
        tx.commit();
    }
}

std::string disclosure_secret(Store& store) {
    // A key kept outside the store survives a rebuild of the store from the same feeds: the
    // rebuilt store then publishes the same noise, so old and new publications cannot be averaged.
    if (const char* env = std::getenv("HOTREF_DISCLOSURE_KEY"); env != nullptr && *env != '\0') {
        const std::string key{env};
        if (key.size() < 32 || key.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
            throw UsageError("HOTREF_DISCLOSURE_KEY must be at least 32 hexadecimal digits (make one with "
                             "'openssl rand -hex 32' and keep it with the store's backups)");
        }
        return key;
    }
    Statement st{connection(store), "SELECT value FROM meta WHERE key = 'disclosure_secret'"};
    if (!st.step() || st.column_text(0).size() < 32) {
        throw StoreError(connection(store).path() + ": the store has no disclosure key (meta.disclosure_secret); "
                                                    "open it once with this hotref to migrate it");
    }
    return st.column_text(0);
}

bool run_has_referral_links(Store& store, std::int64_t run_id) {
    Statement st{connection(store), "SELECT count(*) FROM referral_link WHERE run_id = ?"};
    st.bind(1, run_id);
    return st.step() && st.column_int(0) > 0;
}

void Store::ping() {
    (void)m_db.query_int("SELECT count(*) FROM meta");
}

Transaction::Transaction(Store& store) : Transaction(store.m_db) {}

void Store::erase_free_space() {
    if (m_db.postgres()) {
        // VACUUM FULL writes each table anew, so dead versions of purged rows leave the table
        // files (the server's WAL and its backups keep them until they expire: docs/deployment.md).
        m_db.exec("VACUUM FULL referral, referral_audit, referral_incident, referral_onward, referral_link, "
                  "comparison_cohort");
        return;
    }
    // VACUUM rebuilds the file without free pages or free space in pages; in WAL mode it
    // writes the new pages to the WAL, so the TRUNCATE checkpoint then copies them into
    // the file and empties the WAL (which also held every earlier version of the pages).
    m_db.exec("VACUUM");
    Statement st{m_db, "PRAGMA wal_checkpoint(TRUNCATE)"};
    if (st.step() && st.column_int(0) != 0) {
        throw StoreError(m_db.path() + ": cannot empty the write-ahead log (" + m_db.path() +
                         "-wal): another connection is reading the store (is 'hotref serve' running?); stop it "
                         "and run the command again: until then earlier versions of changed rows stay in the WAL");
    }
}

std::int64_t Store::intern(std::unordered_map<std::string, std::int64_t>& cache, Statement& find, Statement& add,
                           const std::string& name) {
    if (const auto it = cache.find(name); it != cache.end()) {
        return it->second;
    }
    find.bind(1, name);
    std::int64_t id = 0;
    if (find.step()) {
        id = find.column_int(0);
        find.reset();
    } else {
        find.reset();
        add.bind(1, name).run();
        id = m_db.last_insert_rowid();
    }
    cache.emplace(name, id);
    return id;
}

std::int64_t Store::force_id(const std::string& name) {
    return intern(m_forces, m_sql->find_force, m_sql->add_force, name);
}

std::int64_t Store::outcome_id(const std::string& name) {
    return intern(m_outcomes, m_sql->find_outcome, m_sql->add_outcome, name);
}

std::int64_t Store::category_id(const std::string& name) {
    if (const auto it = m_categories.find(name); it != m_categories.end()) {
        return it->second;
    }
    auto& find = m_sql->find_category;
    find.bind(1, name);
    std::int64_t id = 0;
    if (find.step()) {
        id = find.column_int(0);
        find.reset();
    } else {
        find.reset();
        // A name that differs only in case or punctuation ("Anti Social Behaviour")
        // is the category with that slug.
        const std::string slug = slug_of(name);
        if (const auto existing = category_id_by_slug(slug)) {
            id = *existing;
        } else {
            m_sql->add_category.bind(1, name).bind(2, slug).run();
            id = m_db.last_insert_rowid();
            m_new_categories.push_back(name);
        }
    }
    m_categories.emplace(name, id);
    return id;
}

std::optional<std::int64_t> Store::category_id_by_slug(const std::string& slug) {
    auto& find = m_sql->find_slug;
    find.bind(1, slug);
    std::optional<std::int64_t> id;
    if (find.step()) {
        id = find.column_int(0);
    }
    find.reset();
    return id;
}

void Store::clear_caches() {
    m_forces.clear();
    m_outcomes.clear();
    m_categories.clear();
}

void Store::for_each_location(const std::function<void(std::int64_t, const LocationRow&)>& fn, std::int64_t after) {
    Statement st{m_db, "SELECT id, lon, lat, easting, northing, street, lsoa_code, lsoa_name, exact FROM location "
                       "WHERE id > ? ORDER BY id"};
    st.bind(1, after);
    LocationRow row;
    while (st.step()) {
        row.lon = st.column_double(1);
        row.lat = st.column_double(2);
        row.easting = st.column_double(3);
        row.northing = st.column_double(4);
        row.street = st.column_text(5);
        row.lsoa_code = st.column_text(6);
        row.lsoa_name = st.column_text(7);
        row.exact = st.column_int(8) != 0;
        fn(st.column_int(0), row);
    }
}

std::int64_t Store::insert_location(const LocationRow& row) {
    if (m_buffer_locations) {
        m_pending_locations.push_back(row);
        return m_pending_first + static_cast<std::int64_t>(m_pending_locations.size()) - 1;
    }
    auto& st = m_sql->insert_location;
    st.bind(1, row.lon).bind(2, row.lat).bind(3, row.easting).bind(4, row.northing);
    st.bind(5, row.street, true).bind(6, row.lsoa_code, true).bind(7, row.lsoa_name, true);
    st.bind(8, row.exact ? 1 : 0).bind(9, row.easting).bind(10, row.northing);
    st.run();
    return m_db.last_insert_rowid();
}

void Store::update_location_lsoa(std::int64_t id, const std::string& code, const std::string& name) {
    if (m_buffer_locations && id >= m_pending_first) {
        auto& row = m_pending_locations.at(static_cast<std::size_t>(id - m_pending_first));
        if (row.lsoa_code.empty()) {
            row.lsoa_code = code;
            row.lsoa_name = name;
        }
        return;
    }
    m_sql->update_lsoa.bind(1, code, true).bind(2, name, true).bind(3, id).run();
}

std::int64_t Store::insert_feed(const FeedRecord& feed) {
    auto& st = m_sql->insert_feed;
    st.bind(1, feed.path).bind(2, feed.name).bind(3, feed.kind).bind(4, feed.sha256).bind(5, feed.bytes);
    st.bind(6, feed.status).bind(7, utc_now());
    st.run();
    return m_db.last_insert_rowid();
}

void Store::finish_feed(std::int64_t feed_id, const FeedRecord& feed) {
    auto& st = m_sql->finish_feed;
    st.bind(1, feed.rows_read).bind(2, feed.rows_stored).bind(3, feed.rows_rejected).bind(4, feed.status);
    st.bind(5, feed.message, true).bind(6, utc_now()).bind(7, feed.sha256).bind(8, feed.bytes).bind(9, feed_id);
    st.run();
}

bool Store::has_stored_feed(const std::string& sha256) {
    auto& st = m_sql->stored_sha;
    st.bind(1, sha256);
    const bool found = st.step() && st.column_int(0) > 0;
    st.reset();
    return found;
}

std::int64_t Store::claim_partition(const std::string& source, std::int64_t force, const std::string& month,
                                    std::int64_t feed_id) {
    auto& find = m_sql->find_partition;
    find.bind(1, source).bind(2, force).bind(3, month);
    if (find.step()) {
        const auto id = find.column_int(0);
        find.reset();
        m_sql->clear_partition.bind(1, id).run();
        m_sql->own_partition.bind(1, feed_id).bind(2, id).run();
        return id;
    }
    find.reset();
    m_sql->add_partition.bind(1, source).bind(2, force).bind(3, month).bind(4, feed_id).run();
    return m_db.last_insert_rowid();
}

void Store::set_partition_rows(std::int64_t partition_id, std::int64_t rows) {
    m_sql->partition_rows.bind(1, rows).bind(2, partition_id).run();
}

std::optional<std::string> Store::partition_owner_sha(const std::string& source, std::int64_t force,
                                                      const std::string& month) {
    auto& st = m_sql->owner_sha;
    st.bind(1, source).bind(2, force).bind(3, month);
    std::optional<std::string> sha;
    if (st.step()) {
        sha = st.column_text(0);
    }
    st.reset();
    return sha;
}

void Store::bind_incident(Statement& st, int base, const IncidentRow& r) {
    st.bind(base + 1, (r.partition_id << 32) + r.seq).bind(base + 2, r.location_id).bind(base + 3, r.category_id);
    if (r.outcome_id != 0) {
        st.bind(base + 4, r.outcome_id);
    }
    if (r.falls_within_id != 0) {
        st.bind(base + 5, r.falls_within_id);
    }
    unsigned char bytes[32];
    if (crime_id_bytes(r.crime_id, bytes)) {
        st.bind_blob(base + 6, bytes, sizeof bytes);
    } else {
        st.bind(base + 6, r.crime_id, true);
    }
    st.bind(base + 7, r.context, true).bind(base + 8, r.occurred_at, true);
    st.bind(base + 9, r.nsir, true).bind(base + 10, r.reference, true).bind(base + 11, r.n);
}

void Store::copy_incidents(const IncidentRow* rows, std::size_t count) {
    std::string data;
    data.reserve(count * 48);
    for (std::size_t i = 0; i < count; ++i) {
        const auto& r = rows[i];
        copy_int(data, (r.partition_id << 32) + r.seq, false);
        data += '\t';
        copy_int(data, r.location_id, false);
        data += '\t';
        copy_int(data, r.category_id, false);
        data += '\t';
        copy_int(data, r.outcome_id, true);
        data += '\t';
        copy_int(data, r.falls_within_id, true);
        data += '\t';
        copy_text(data, r.crime_id, true);
        data += '\t';
        copy_text(data, r.context, true);
        data += '\t';
        copy_text(data, r.occurred_at, true);
        data += '\t';
        copy_text(data, r.nsir, true);
        data += '\t';
        copy_text(data, r.reference, true);
        data += '\t';
        copy_int(data, r.n, false);
        data += '\n';
    }
    m_db.pg().copy_in("incident (id, location_id, category_id, outcome_id, falls_within_id, crime_id, context, "
                      "occurred_at, nsir, reference, n)",
                      data);
}

void Store::insert_incident(const IncidentRow& r) {
    if (m_db.postgres()) {
        copy_incidents(&r, 1);
        return;
    }
    bind_incident(m_sql->insert_incident, 0, r);
    m_sql->insert_incident.run();
}

void Store::insert_incidents(const std::vector<IncidentRow>& rows) {
    if (m_db.postgres()) {
        if (!rows.empty()) {
            copy_incidents(rows.data(), rows.size());
        }
        return;
    }
    std::size_t i = 0;
    for (; i + incident_batch <= rows.size(); i += incident_batch) {
        auto& st = m_sql->insert_incidents;
        for (int k = 0; k < incident_batch; ++k) {
            bind_incident(st, k * incident_columns, rows[i + static_cast<std::size_t>(k)]);
        }
        st.run();
    }
    for (; i < rows.size(); ++i) {
        insert_incident(rows[i]);
    }
}

void Store::insert_reject(std::int64_t feed_id, const RejectRow& r) {
    auto& st = m_sql->insert_reject;
    st.bind(1, feed_id).bind(2, r.line).bind(3, r.field, true).bind(4, r.code).bind(5, r.reason);
    st.bind(6, r.raw, true);
    st.run();
}

void Store::flush_pending_locations() {
    m_buffer_locations = false;
    if (m_pending_locations.empty()) {
        return;
    }
    std::string data;
    data.reserve(m_pending_locations.size() * 160);
    std::int64_t id = m_pending_first;
    for (const auto& row : m_pending_locations) {
        copy_int(data, id++, false);
        for (const double v : {row.lon, row.lat, row.easting, row.northing}) {
            data += '\t';
            copy_double(data, v);
        }
        data += '\t';
        copy_text(data, row.street, true);
        data += '\t';
        copy_text(data, row.lsoa_code, true);
        data += '\t';
        copy_text(data, row.lsoa_name, true);
        data += row.exact ? "\t1\t" : "\t0\t";
        copy_point_ewkb(data, row.easting, row.northing);
        data += '\n';
    }
    m_pending_locations.clear();
    m_db.pg().copy_in("location (id, lon, lat, easting, northing, street, lsoa_code, lsoa_name, exact, geom)", data);
    // The last id handed out is the table's largest (the writer lock is held).
    m_db.exec("SELECT setval(pg_get_serial_sequence('location', 'id'), " + std::to_string(id - 1) + ")");
}

LocationBatch::LocationBatch(Store& store) : m_store(store) {
    auto& db = connection(store);
    if (db.postgres()) {
        m_store.m_pending_locations.clear();
        m_store.m_pending_first = db.query_int("SELECT coalesce(max(id), 0) FROM location") + 1;
        m_store.m_buffer_locations = true;
        return;
    }
    Statement last{db, "SELECT coalesce(max(id), 0) FROM location"};
    m_last_id = last.step() ? last.column_int(0) : 0;
    std::vector<std::string> names;
    Statement triggers{db, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'location' "
                           "ORDER BY rowid"};
    while (triggers.step()) {
        names.push_back(triggers.column_text(0));
        m_triggers.push_back(triggers.column_text(1));
    }
    for (const auto& name : names) {
        std::string quoted;
        for (const char c : name) {
            quoted += c == '"' ? std::string{"\"\""} : std::string(1, c);
        }
        db.exec("DROP TRIGGER \"" + quoted + "\"");
    }
}

LocationBatch::~LocationBatch() {
    m_store.m_buffer_locations = false;
    m_store.m_pending_locations.clear();
}

void LocationBatch::finish() {
    if (m_finished) {
        return;
    }
    auto& db = connection(m_store);
    if (db.postgres()) {
        m_store.flush_pending_locations(); // the GiST index is kept by PostgreSQL in the same transaction
        m_finished = true;
        return;
    }
    Statement index{db, "INSERT INTO idx_location_geom (pkid, xmin, xmax, ymin, ymax) "
                        "SELECT id, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM location "
                        "WHERE id > ? AND geom IS NOT NULL"};
    index.bind(1, m_last_id).run();
    if (db.changes() > 0) {
        db.exec("UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                "WHERE lower(f_table_name) = 'location' AND lower(f_geometry_column) = 'geom'");
    }
    for (const auto& sql : m_triggers) {
        db.exec(sql);
    }
    m_finished = true;
}

bool location_index_consistent(Store& store) {
    auto& db = connection(store);
    if (db.postgres()) {
        // Every location found through the GiST index (a bounding-box search over all of Great
        // Britain and beyond) and none missing.
        const auto all = db.query_int("SELECT count(*) FROM location");
        const auto indexed = db.query_int("SELECT count(*) FROM location WHERE geom && "
                                          "ST_MakeEnvelope(-1e7, -1e7, 1e7, 1e7, 27700)");
        return all == indexed;
    }
    Statement check{connection(store), "SELECT CheckSpatialIndex('location', 'geom')"};
    return check.step() && check.column_int(0) == 1;
}

std::string utc_now() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string slug_of(const std::string& name) {
    std::string out;
    bool dash = false;
    for (const char ch : name) {
        const bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (alnum) {
            if (dash && !out.empty()) {
                out += '-';
            }
            dash = false;
            out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        } else {
            dash = true;
        }
    }
    return out;
}

} // namespace hotref::store
