// "Purge means gone": after `referral purge` nothing of a purged referral's
// personal values is left in the bytes of the store file or its WAL (not in the
// audit trail, not in free pages, not in earlier page versions), while the audit
// still says who changed which field when. And the service writes its internal
// layers only into a private folder (0700) as private files (0600).

#include "fixtures.hpp"
#include "geo/gdal.hpp"
#include "hotspot/pipeline.hpp"
#include "referral/registry.hpp"
#include "server/catalog.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/private_dir.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

namespace t = hotref::test;
namespace fs = std::filesystem;
using hotref::referral::Registry;
using hotref::referral::RegistryOptions;

namespace {

RegistryOptions options() {
    RegistryOptions o;
    o.actor = "caseworker A";
    o.secret = "a-test-secret-of-enough-length";
    return o;
}

const std::string header =
    "reference,created_at,incident_refs,incident_at,offence,asb_qualifier,easting,northing,disposal,age_band,"
    "first_time_entrant,provider,person_id,contacted_at,assessed_at,needs,interpreter,workshop_booked_at,"
    "workshop_attended_at,reparation_type,hours_set,hours_done,outcome,outcome_at,escalation,reoffence_date,"
    "victim_consulted,victim_satisfied,consent_evaluation\n";

// An old referral (purged) and a recent one (kept), with values found nowhere else.
const std::string referrals =
    header +
    "IJ-2024-0001,2024-01-10T18:30,INC-PLOVER-0001,2024-01-10T17:45,asb,nuisance,435171.25,335733.75,"
    "community-resolution,10-17,yes,Quuxbridge Youth Trust,PNC-XYZZY-1,2024-01-11T10:00,2024-01-12T14:00,"
    "Zebracorn first assessment,yes,,,,,,,,,,,,yes\n"
    "IJ-2026-0002,2026-01-05T12:00,INC-RECENT-0002,,public-order,,436000.5,336000.5,conditional-caution,adult,no,"
    "Recentshire Provider,PNC-XYZZY-2,,,,,,,,,,,,,,,,yes\n";

// The purged referral's distinctive values: text, and the exact location as SQLite's
// big-endian doubles (and little-endian ones, should anything store them raw).
std::vector<std::string> purged_needles() {
    std::vector<std::string> needles{"Zebracorn", "Quuxbridge", "Wombat", "INC-PLOVER", "PNC-XYZZY-1",
                                     "435171",    "335733",     "435333", "335444"};
    for (const double v : {435171.25, 335733.75, 435333.125, 335444.625}) {
        unsigned char le[8];
        std::memcpy(le, &v, sizeof le);
        needles.emplace_back(reinterpret_cast<const char*>(le), sizeof le);
        std::string be;
        for (int i = 7; i >= 0; --i) {
            be += static_cast<char>(le[i]);
        }
        needles.push_back(be);
    }
    return needles;
}

std::string printable(const std::string& s) {
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        }
    }
    return out;
}

// What an adversary holding the store reads: the file and its WAL; on PostgreSQL, the whole
// database as pg_dump gives it (what a backup holds). PostgreSQL's own WAL segments are
// the server's, recycled after checkpoints (docs/deployment.md says so).
std::string store_bytes(const std::string& path) {
    if (hotref::store::pg::is_url(path)) {
        t::TempDir dump;
        const std::string out = dump.file("dump.sql");
        const std::string cmd = "pg_dump --no-owner -d '" + path + "' >'" + out + "' 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
        return t::read_file(out);
    }
    return t::read_file(path) + t::read_file(path + "-wal");
}

void set(hotref::store::Store& store, const std::map<std::string, std::string>& fields) {
    hotref::store::Transaction tx{connection(store)};
    Registry{store, options()}.upsert(fields);
    tx.commit();
}

} // namespace

TEST_CASE("purge: nothing of a purged referral stays in the store file or its WAL; the audit keeps who, when, what") {
    t::TempDir tmp;
    const std::string path = tmp.store();
    t::write_file(tmp.file("referrals.csv"), referrals);
    hotref::store::Store store{path, true};
    REQUIRE(hotref::referral::import_csv(store, tmp.file("referrals.csv"), options(), false).committed);
    // Changes, so that the audit holds old and new values: a second assessment, another
    // provider and place, then a refusal with its escalation note.
    set(store, {{"reference", "IJ-2024-0001"}, {"needs", "Zebracorn second assessment"}});
    set(store, {{"reference", "IJ-2024-0001"},
                {"provider", "Quuxbridge Trust North"},
                {"easting", "435333.125"},
                {"northing", "335444.625"}});
    set(store, {{"reference", "IJ-2024-0001"},
                {"outcome", "refused"},
                {"outcome_at", "2024-01-20T09:00"},
                {"escalation", "Wombat summons, officer PC 1234"}});
    auto& db = connection(store);
    REQUIRE(db.query_int("SELECT count(*) FROM referral_audit WHERE old_value LIKE '%Zebracorn%'") == 1);
    // What the test looks for is there before the purge.
    {
        const auto before = store_bytes(path);
        for (const char* s : {"Zebracorn", "Quuxbridge", "Wombat", "INC-PLOVER"}) {
            CHECK_MESSAGE(t::contains(before, s), s);
        }
    }

    CHECK(hotref::referral::purge_personal_data(store, 12, "2025-06-01", "records officer") == 1);

    // The store still open (the WAL in use), then closed.
    const auto needles = purged_needles();
    const auto after = store_bytes(path);
    CHECK(t::read_file(path + "-wal").empty());
    for (const auto& n : needles) {
        CHECK_MESSAGE(!t::contains(after, n), "still in the store: " << printable(n));
    }
    // The recent referral is untouched (so the bytes read are the store's).
    CHECK(t::contains(after, "Recentshire Provider"));
    CHECK(t::contains(after, "INC-RECENT-0002"));

    // The audit: every row keeps when, who, the action and the field; no value is left.
    Registry reg{store, options()};
    const auto old = reg.find("IJ-2024-0001");
    REQUIRE(old);
    const auto audit = reg.audit(old->id);
    std::map<std::string, int> fields;
    for (const auto& row : audit) {
        CHECK(!row[0].empty());
        CHECK(!row[1].empty());
        CHECK(!row[2].empty());
        if (row[2] == "update") {
            ++fields[row[3]];
            CHECK(row[4].empty());
            CHECK(row[5].empty());
        }
    }
    CHECK(audit.front()[1] == "caseworker A");
    CHECK(audit.front()[2] == "create");
    CHECK(audit.front()[5].empty());
    for (const char* f : {"needs", "provider", "easting", "northing", "escalation", "outcome"}) {
        CHECK_MESSAGE(fields[f] == 1, f);
    }
    CHECK(audit.back()[1] == "records officer");
    CHECK(audit.back()[2] == "purge");
    CHECK(audit.back()[5] == "retention: created before 2024-06-01");
    // The KPI fields stay; the incident references go.
    CHECK(hotref::referral::state_name(old->r.state()) == std::string{"refused"});
    CHECK(old->r.contact_within_48h() == true);
    CHECK(old->r.age_band == "10-17");
    CHECK(old->r.incident_refs.empty());
    CHECK(old->r.incident_at.empty());
    CHECK(!old->r.interpreter);
    // The recent referral keeps everything, its audit values too.
    const auto recent = reg.find("IJ-2026-0002");
    REQUIRE(recent);
    CHECK(recent->r.provider == "Recentshire Provider");
    CHECK(recent->r.incident_refs.size() == 1);

    // The purged values cannot come back by importing the old file again.
    const auto again = hotref::referral::import_csv(store, tmp.file("referrals.csv"), options(), false);
    CHECK_FALSE(again.committed);
    bool named = false;
    for (const auto& e : again.errors) {
        named = named || (e.reference == "IJ-2024-0001" && e.reason.find("removed on retention") != std::string::npos);
    }
    CHECK(named);
    CHECK(db.query_int("SELECT count(*) FROM referral WHERE person_key = 'purged' AND needs IS NULL") == 1);
}

TEST_CASE("purge: a referral purged by an older hotref loses its audit values and incident references too") {
    t::TempDir tmp;
    const std::string path = tmp.store();
    t::write_file(tmp.file("referrals.csv"), referrals);
    {
        hotref::store::Store store{path, true};
        REQUIRE(hotref::referral::import_csv(store, tmp.file("referrals.csv"), options(), false).committed);
        set(store, {{"reference", "IJ-2024-0001"}, {"needs", "Zebracorn second assessment"}});
        // What hotref before this change did: the referral row only.
        connection(store).exec(
            "UPDATE referral SET person_key = 'purged', needs = NULL, easting = NULL, northing = NULL, "
            "escalation = NULL, provider = NULL WHERE reference = 'IJ-2024-0001'");
        CHECK(hotref::referral::purge_personal_data(store, 12, "2025-06-01", "records officer") == 0);
        CHECK(connection(store).query_int(
                  "SELECT count(*) FROM referral_incident WHERE incident_ref = 'INC-PLOVER-0001'") == 0);
    }
    const auto after = store_bytes(path);
    for (const char* s : {"Zebracorn", "INC-PLOVER"}) {
        CHECK_MESSAGE(!t::contains(after, s), s);
    }
}

TEST_CASE("private folders: mkdtemp under $TMPDIR, mode 0700; files written under the guard 0600") {
    t::TempDir tmp;
    const mode_t before = ::umask(022);
    fs::path made;
    {
        hotref::PrivateDir dir{tmp.path() / "parent", "x-"};
        made = dir.path();
        CHECK(made.parent_path() == tmp.path() / "parent");
        CHECK(made.filename().string().rfind("x-", 0) == 0);
        CHECK((fs::status(made).permissions() & fs::perms::all) == fs::perms::owner_all);
        {
            const hotref::PrivateUmask guard;
            t::write_file((made / "f").string(), "x");
            fs::create_directory(made / "d");
        }
        CHECK((fs::status(made / "f").permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write));
        CHECK((fs::status(made / "d").permissions() & fs::perms::all) == fs::perms::owner_all);
        // The umask is back.
        CHECK(::umask(022) == 022);
    }
    CHECK_FALSE(fs::exists(made));
    ::umask(before);
}

TEST_CASE("service: publishing writes nothing to disk (the internal layers never leave memory)") {
    t::TempDir tmp;
    const std::string path = tmp.store();
    {
        hotref::store::Store store{path, true};
        t::ingest_geodata(store);
        auto hs = t::force_area_gistar(500);
        hs.from = "2025-01";
        hs.to = "2025-06";
        hotref::hotspot::run_hotspots(store, hs);
        REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
    }
    const fs::path tmpdir = tmp.path() / "tmpdir";
    fs::create_directory(tmpdir);
    struct TmpdirGuard {
        bool had = std::getenv("TMPDIR") != nullptr;
        std::string saved = had ? std::getenv("TMPDIR") : "";
        explicit TmpdirGuard(const fs::path& dir) { ::setenv("TMPDIR", dir.c_str(), 1); }
        ~TmpdirGuard() { had ? ::setenv("TMPDIR", saved.c_str(), 1) : ::unsetenv("TMPDIR"); }
        TmpdirGuard(const TmpdirGuard&) = delete;
        TmpdirGuard& operator=(const TmpdirGuard&) = delete;
    } tmpdir_guard{tmpdir};
    hotref::server::CatalogOptions co;
    co.store_path = path;
    co.tiles_max_zoom = 8;
    co.quiet = true;
    const auto snap = hotref::server::build_snapshot(co);
    REQUIRE(snap->find("hotspots-internal") != nullptr);
    REQUIRE(snap->find("hotspots") != nullptr);
    CHECK(snap->find("hotspots")->tiles != nullptr);
    CHECK_FALSE(snap->find("hotspots")->tiles->tiles.empty());
    // Nothing in the temporary folder, and nothing left in GDAL's memory file system.
    CHECK(fs::is_empty(tmpdir));
    CHECK(hotref::geo::list_files_recursive("/vsimem/").empty());
}
