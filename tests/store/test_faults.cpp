// Faults (issue 14, part 6): the real hotref binary killed with SIGKILL at
// several points of ingest, hotspots, referral import and layers; a disk that
// fills (a file size limit in a child, and a small tmpfs where mounting is
// allowed); a read-only store; two ingests at once; the store replaced or
// deleted under a running service. Each case checks the store before and after
// (PRAGMA integrity_check, row counts) and the message shown.

#include "core/error.hpp"
#include "server/catalog.hpp"
#include "server/service.hpp"
#include "server/auth.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace t = hotref::test;
namespace fs = std::filesystem;
namespace st = hotref::store;
using t::contains;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* referral_secret = "a-test-secret-of-at-least-32-characters-long";

struct Child {
    pid_t pid = -1;
    std::string log;
};

/// Starts `hotref ARGS` with stdout and stderr in `log`; `file_limit` bytes: RLIMIT_FSIZE
/// with SIGXFSZ ignored, so a write past it fails with EFBIG as on a full disk.
Child start(const std::vector<std::string>& args, const std::string& log, rlim_t file_limit = RLIM_INFINITY) {
    std::vector<std::string> argv{HOTREF_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int null = ::open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0 || ::dup2(null, 0) < 0) {
            ::_exit(120);
        }
        ::setenv("HOTREF_NO_PROGRESS", "1", 1);
        ::setenv("HOTREF_REFERRAL_SECRET", referral_secret, 1);
        if (file_limit != RLIM_INFINITY) {
            std::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit{file_limit, file_limit};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        }
        std::vector<char*> cargs;
        for (auto& a : argv) {
            cargs.push_back(a.data());
        }
        cargs.push_back(nullptr);
        ::execv(cargs[0], cargs.data());
        ::_exit(121);
    }
    return Child{pid, log};
}

/// The exit code, or 128 + the signal that ended it.
int finish(const Child& c) {
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const std::vector<std::string>& args, const std::string& log, rlim_t file_limit = RLIM_INFINITY) {
    return finish(start(args, log, file_limit));
}

using Counts = std::map<std::string, std::int64_t>;

Counts counts(const std::string& store) {
    st::Database db{store, st::OpenMode::read_only};
    Counts c;
    for (const char* table : {"feed", "feed_partition", "location", "incident", "reject", "run", "hotspot", "run_cell",
                              "run_location", "referral", "referral_audit", "referral_incident", "evaluation"}) {
        st::Statement exists{db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"};
        exists.bind(1, table);
        if (exists.step() && exists.column_int(0) == 1) {
            c[table] = db.query_int(std::string{"SELECT count(*) FROM "} + table);
        }
    }
    c["incident.n"] = db.query_int("SELECT coalesce(sum(n), 0) FROM incident");
    c["feed.loading"] = db.query_int("SELECT count(*) FROM feed WHERE status = 'loading'");
    return c;
}


std::string describe(const Counts& c) {
    std::string s;
    for (const auto& [k, v] : c) {
        s += k + "=" + std::to_string(v) + " ";
    }
    return s;
}

// A store copied with its -wal (if any), as a second checkout of the same data.
void copy_store(const std::string& from, const std::string& to) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    for (const char* ext : {"-wal", "-shm"}) {
        std::error_code ec;
        fs::remove(to + ext, ec);
        if (fs::exists(from + ext)) {
            fs::copy_file(from + ext, to + ext);
        }
    }
}

std::string gen(const t::TempDir& tmp, const std::string& name, const std::string& args) {
    const std::string out = tmp.file(name);
    const std::string cmd = "'" + std::string{HOTREF_GEN} + "' " + args + " --out '" + out + "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return out;
}

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator{dir}) {
        names.push_back(fs::relative(e.path(), dir).string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> leftovers(const fs::path& parent) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator{parent}) {
        const auto n = e.path().filename().string();
        if (n.find(".partial-") != std::string::npos || n.find(".old-") != std::string::npos) {
            names.push_back(n);
        }
    }
    return names;
}

/// Runs `args(store)` on copies of `base`: once to the end (timed), then killed with SIGKILL at
/// fractions of that time. After each kill: integrity ok, counts as before or as after, never
/// in between, and a re-run succeeds with the counts of the whole run.
void check_kills(const t::TempDir& tmp, const std::string& base,
                 const std::function<std::vector<std::string>(const std::string&)>& args) {
    const Counts before = counts(base);
    const std::string whole = tmp.file("whole.sqlite");
    copy_store(base, whole);
    const auto t0 = Clock::now();
    REQUIRE(run(args(whole), tmp.file("whole.log")) == 0);
    const auto full = Clock::now() - t0;
    const Counts after = counts(whole);
    REQUIRE_MESSAGE(after != before, "the command changed nothing: " << describe(after));
    int killed = 0;
    for (const double f : {0.3, 0.55, 0.8}) {
        CAPTURE(f);
        const std::string store = tmp.file("killed.sqlite");
        copy_store(base, store);
        const auto c = start(args(store), tmp.file("killed.log"));
        std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(full * f));
        ::kill(c.pid, SIGKILL);
        killed += finish(c) == 128 + SIGKILL ? 1 : 0;
        CHECK(t::store_integrity(store) == "ok");
        const Counts now = counts(store);
        CHECK_MESSAGE((now == before || now == after),
                      "before: " << describe(before) << "\nafter:  " << describe(after) << "\nnow:    " << describe(now));
        CHECK(now.at("feed.loading") == 0);
        const int again = run(args(store), tmp.file("again.log"));
        CHECK_MESSAGE(again == 0, t::read_file(tmp.file("again.log")));
        CHECK(counts(store) == after);
    }
    CHECK(killed >= 2); // most kills landed while the command ran
}

// A store with one month of the real Derbyshire data and (with_run) a Gi* run of 1 km cells.
std::string derbyshire_store(const t::TempDir& tmp, bool with_run) {
    const std::string store = tmp.file("base.sqlite");
    REQUIRE(run({"ingest", "-q", "--store", store, "--area", t::geodata("derbyshire_force_area.gpkg"),
                 t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz")},
                tmp.file("base.log")) == 0);
    if (with_run) {
        REQUIRE(run({"hotspots", "--method", "gistar", "--store", store, "--area",
                     t::geodata("derbyshire_force_area.gpkg"), "--cell-size", "1000", "--top", "0"},
                    tmp.file("base.log")) == 0);
    }
    return store;
}

} // namespace

TEST_CASE("faults: ingest killed with SIGKILL at several points leaves the store as before or after") {
    t::TempDir tmp;
    const std::string base = tmp.file("base.sqlite");
    REQUIRE(run({"ingest", "-q", "--store", base, t::data("policeuk/2025-01-small-street.csv")}, tmp.file("b.log")) ==
            0);
    const auto big = gen(tmp, "big-street.csv", "--rows 150000 --months 2025-02:2025-03");
    check_kills(tmp, base, [&](const std::string& store) {
        return std::vector<std::string>{"ingest", "-q", "--store", store, big};
    });
}

TEST_CASE("faults: hotspots killed with SIGKILL at several points leaves the store as before or after") {
    t::TempDir tmp;
    const auto base = derbyshire_store(tmp, false);
    check_kills(tmp, base, [&](const std::string& store) {
        return std::vector<std::string>{"hotspots", "--method", "gistar", "--store", store, "--area",
                                        t::geodata("derbyshire_force_area.gpkg"), "--cell-size", "150", "--top", "0"};
    });
}

TEST_CASE("faults: referral import killed with SIGKILL at several points leaves the store as before or after") {
    t::TempDir tmp;
    const auto base = derbyshire_store(tmp, false);
    const std::string csv = tmp.file("referrals.csv");
    const std::string cmd = "/usr/bin/python3 '" + std::string{HOTREF_SOURCE_DIR} +
                            "/tools/gen/gen_referrals.py' --count 6000 --seed 3 --as-of 2026-12-31 --out '" + csv +
                            "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    check_kills(tmp, base, [&](const std::string& store) {
        return std::vector<std::string>{"referral", "import", "--store", store, csv};
    });
}

TEST_CASE("faults: layers killed with SIGKILL never leave a half-written folder, and a re-run works") {
    t::TempDir tmp;
    const auto store = derbyshire_store(tmp, true);
    const Counts before = counts(store);
    const fs::path ref = tmp.path() / "reference";
    const auto t0 = Clock::now();
    REQUIRE(run({"layers", "--store", store, "--out", ref.string(), "--max-zoom", "11"}, tmp.file("ref.log")) == 0);
    const auto full = Clock::now() - t0;
    const auto complete = listing(ref);
    REQUIRE(complete.size() > 10);
    for (const bool overwrite : {false, true}) {
        for (const double f : {0.2, 0.5, 0.85}) {
            CAPTURE(overwrite);
            CAPTURE(f);
            const fs::path out = tmp.path() / "out" / "layers";
            std::error_code ec;
            fs::remove_all(out.parent_path(), ec);
            if (overwrite) {
                fs::create_directories(out.parent_path());
                fs::copy(ref, out, fs::copy_options::recursive);
            }
            std::vector<std::string> args{"layers", "--store", store, "--out", out.string(), "--max-zoom", "11"};
            if (overwrite) {
                args.emplace_back("--overwrite");
            }
            const auto c = start(args, tmp.file("killed.log"));
            std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(full * f));
            ::kill(c.pid, SIGKILL);
            finish(c);
            // The folder is the old complete one, the new complete one, or (first run) not there.
            const bool there = fs::exists(out);
            if (there) {
                CHECK(listing(out) == complete);
            } else {
                CHECK_FALSE(overwrite); // the old one is never removed before the new one is in place
            }
            const auto again = run(args, tmp.file("again.log"));
            CHECK_MESSAGE(again == (there && !overwrite ? 1 : 0), t::read_file(tmp.file("again.log")));
            if (again == 0) {
                CHECK(listing(out) == complete);
                CHECK(leftovers(out.parent_path()).empty());
            } else {
                CHECK(contains(t::read_file(tmp.file("again.log")), "exists; give --overwrite"));
            }
        }
    }
    CHECK(t::store_integrity(store) == "ok");
    CHECK(counts(store) == before);
}

TEST_CASE("faults: a disk that fills during ingest (file size limit) fails clearly and keeps the store") {
    if (t::on_postgres()) {
        MESSAGE("SpatiaLite only: the store is the server's files, not this process's: its file size limit does not reach them");
        return;
    }
    t::TempDir tmp;
    const std::string store = tmp.store();
    REQUIRE(run({"ingest", "-q", "--store", store, t::data("policeuk/2025-01-small-street.csv")}, tmp.file("b.log")) ==
            0);
    const Counts before = counts(store);
    const auto big = gen(tmp, "big-street.csv", "--rows 150000 --months 2025-02:2025-03");
    const rlim_t limit = static_cast<rlim_t>(fs::file_size(store)) + 2 * 1024 * 1024;
    const int code = run({"ingest", "--store", store, big}, tmp.file("full.log"), limit);
    const auto log = t::read_file(tmp.file("full.log"));
    CHECK_MESSAGE(code == 1, log);
    CHECK_MESSAGE(contains(log, "error: " + store), log);
    CHECK_MESSAGE(contains(log, "no space"), log);
    CHECK(t::store_integrity(store) == "ok");
    CHECK(counts(store) == before);
    // With room again the same file goes in.
    CHECK(run({"ingest", "-q", "--store", store, big}, tmp.file("again.log")) == 0);
    CHECK(counts(store)["feed_partition"] == before.at("feed_partition") + 2);
}

TEST_CASE("faults: a disk that fills during layers (file size limit) fails clearly; nothing half-written") {
    t::TempDir tmp;
    const auto store = derbyshire_store(tmp, true);
    const Counts before = counts(store);
    const fs::path ref = tmp.path() / "reference";
    REQUIRE(run({"layers", "--store", store, "--out", ref.string(), "--no-tiles"}, tmp.file("ref.log")) == 0);
    std::uintmax_t largest = 0;
    for (const auto& e : fs::recursive_directory_iterator{ref}) {
        largest = std::max(largest, e.is_regular_file() ? e.file_size() : 0);
    }
    const fs::path out = tmp.path() / "out";
    const int code = run({"layers", "--store", store, "--out", out.string(), "--no-tiles"}, tmp.file("full.log"),
                         static_cast<rlim_t>(largest / 2));
    const auto log = t::read_file(tmp.file("full.log"));
    CHECK_MESSAGE(code == 1, log);
    CHECK_MESSAGE(contains(log, "no space"), log);
    CHECK_MESSAGE(contains(log, "nothing was put in place"), log);
    CHECK_FALSE(contains(log, "wrote "));
    CHECK_FALSE(fs::exists(out));
    CHECK(leftovers(tmp.path()).empty());
    CHECK(t::store_integrity(store) == "ok");
    CHECK(counts(store) == before);
}

namespace {

// A small tmpfs, where this process may mount one (root on Linux); unmounted at the end.
struct SmallDisk {
    fs::path dir;
    bool mounted = false;
    SmallDisk(const fs::path& where, const std::string& size) : dir(where) {
        fs::create_directories(dir);
        const std::string opts = "size=" + size;
        mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    }
    ~SmallDisk() {
        if (mounted) {
            ::umount2(dir.c_str(), MNT_DETACH);
        }
    }
};

} // namespace

TEST_CASE("faults: a full disk (a small tmpfs) during ingest and layers: disk full, nothing half-written") {
    t::TempDir tmp;
    const auto store_src = derbyshire_store(tmp, true);
    SmallDisk disk{tmp.path() / "disk", "3m"};
    if (!disk.mounted) {
        MESSAGE("skipped: cannot mount a tmpfs here (not root?); the file size limit tests above cover the same");
        return;
    }
    // Layers onto the full disk.
    const fs::path out = disk.dir / "layers";
    const int code = run({"layers", "--store", store_src, "--out", out.string(), "--no-tiles"}, tmp.file("l.log"));
    const auto log = t::read_file(tmp.file("l.log"));
    CHECK_MESSAGE(code == 1, log);
    CHECK_MESSAGE(contains(log, "disk full"), log);
    CHECK_FALSE(contains(log, "wrote "));
    CHECK_FALSE(fs::exists(out));
    CHECK(leftovers(disk.dir).empty());
    // Ingest into a store on the full disk.
    const std::string store = (disk.dir / "s.sqlite").string();
    REQUIRE(run({"ingest", "-q", "--store", store, t::data("policeuk/2025-01-small-street.csv")}, tmp.file("b.log")) ==
            0);
    const Counts before = counts(store);
    const auto big = gen(tmp, "big-street.csv", "--rows 150000 --months 2025-02:2025-03");
    const int ingest = run({"ingest", "--store", store, big}, tmp.file("i.log"));
    const auto ilog = t::read_file(tmp.file("i.log"));
    CHECK_MESSAGE(ingest == 1, ilog);
    CHECK_MESSAGE(contains(ilog, "error: " + store + ": disk full"), ilog);
    CHECK(t::store_integrity(store) == "ok");
    CHECK(counts(store) == before);
}

TEST_CASE("faults: a reader never migrates: an older schema is refused with what to run") {
    if (t::on_postgres()) {
        MESSAGE("SpatiaLite only: a PostgreSQL store starts at schema 9; there is no older one to refuse");
        return;
    }
    t::TempDir tmp;
    const std::string path = tmp.store();
    { st::Store store{path, true}; }
    {
        // A version 7 store: the v9 step (the comparison cohort) and the v8 step (the
        // referrals' evaluation facts) undone.
        st::Database db{path, false};
        db.exec("DROP TABLE comparison_cohort");
        db.exec("DROP TABLE referral_onward");
        for (const char* c : {"workshop_type", "aqa_unit", "aqa_date", "disclosure_made", "disclosure_agency", "survey",
                              "learnt_about_impact", "would_reoffend", "survey_comment"}) {
            db.exec(std::string{"ALTER TABLE referral DROP COLUMN "} + c);
        }
        db.exec("UPDATE meta SET value = '7' WHERE key = 'schema_version'");
    }
    try {
        st::Store reader{path, st::OpenMode::read_only};
        FAIL("an old store opened read-only");
    } catch (const hotref::StoreError& e) {
        CHECK(contains(e.what(), path + ": store schema version 7 is older than this hotref's (" + std::to_string(st::schema_version) + ")"));
        CHECK(contains(e.what(), "run a command that writes once"));
    }
    st::Database db{path, st::OpenMode::read_only};
    CHECK(db.query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") == 7);
    // A writer migrates it.
    { st::Store writer{path, false}; }
    CHECK_NOTHROW(st::Store{path, st::OpenMode::read_only});
    CHECK(db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'referral_onward'") == 1);
    CHECK(db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'comparison_cohort'") == 1);
    CHECK(db.query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") == 9);
}

TEST_CASE("faults: the busy timeout is 30 s after SpatiaLite's initialisation") {
    if (t::on_postgres()) {
        MESSAGE("SpatiaLite only: PostgreSQL waits for locks by lock_timeout (30 s, set on connect), not SQLite's busy timeout");
        return;
    }
    t::TempDir tmp;
    st::Store store{tmp.store(), true};
    CHECK(connection(store).query_int("PRAGMA busy_timeout") == st::Database::busy_timeout_ms);
}

TEST_CASE("faults: a read-only store (read-only mount): readers work, writers say read-only") {
    t::TempDir tmp;
    const auto src = derbyshire_store(tmp, true);
    const fs::path ro = tmp.path() / "ro";
    fs::create_directories(ro);
    copy_store(src, (ro / "s.sqlite").string());
    REQUIRE_FALSE(fs::exists(ro / "s.sqlite-wal"));
    if (::mount(ro.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        MESSAGE("skipped: cannot bind-mount here (not root?)");
        return;
    }
    struct Unmount {
        fs::path p;
        ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount{ro};
    if (::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
        MESSAGE("skipped: cannot remount read-only here");
        return;
    }
    const std::string store = (ro / "s.sqlite").string();
    const Counts before = counts(store);
    CHECK(run({"status", "--store", store}, tmp.file("status.log")) == 0);
    CHECK(contains(t::read_file(tmp.file("status.log")), "incidents"));
    CHECK(run({"status", "--store", src}, tmp.file("status-rw.log")) == 0);
    auto same = t::read_file(tmp.file("status-rw.log"));
    same.replace(same.find(src), src.size(), store);
    CHECK(t::read_file(tmp.file("status.log")) == same);
    const auto layers = run({"layers", "--store", store, "--out", tmp.file("layers"), "--no-tiles"}, tmp.file("l.log"));
    CHECK_MESSAGE(layers == 0, t::read_file(tmp.file("l.log")));
    const auto bulletin = run({"bulletin", "--store", store, "--out", tmp.file("b"), "--month", "2025-01"},
                              tmp.file("bu.log"));
    CHECK_MESSAGE(bulletin == 0, t::read_file(tmp.file("bu.log")));
    for (const std::vector<std::string>& writer :
         {std::vector<std::string>{"ingest", "--store", store, t::data("policeuk/2025-02-small-street.csv")},
          std::vector<std::string>{"hotspots", "--method", "gistar", "--store", store, "--cell-size", "500"}}) {
        CAPTURE(writer[0]);
        CHECK(run(writer, tmp.file("w.log")) == 1);
        const auto log = t::read_file(tmp.file("w.log"));
        CHECK_MESSAGE(contains(log, store + ": the store is read-only"), log);
    }
    CHECK(t::store_integrity(store) == "ok");
    CHECK(counts(store) == before);
}

TEST_CASE("faults: two ingests at once on one store: both stored, no location stored twice") {
    t::TempDir tmp;
    const std::string store = tmp.store();
    REQUIRE(run({"ingest", "-q", "--store", store, t::data("policeuk/2025-01-small-street.csv")}, tmp.file("b.log")) ==
            0);
    // The same seed: the two months share their snap points, which neither store has yet.
    const auto march = gen(tmp, "2025-03-street.csv", "--rows 60000 --months 2025-03 --seed 9");
    const auto april = gen(tmp, "2025-04-street.csv", "--rows 60000 --months 2025-04 --seed 9");
    const auto a = start({"ingest", "-q", "--store", store, march}, tmp.file("a.log"));
    const auto b = start({"ingest", "-q", "--store", store, april}, tmp.file("b2.log"));
    CHECK_MESSAGE(finish(a) == 0, t::read_file(tmp.file("a.log")));
    CHECK_MESSAGE(finish(b) == 0, t::read_file(tmp.file("b2.log")));
    CHECK(t::store_integrity(store) == "ok");
    st::Database db{store, st::OpenMode::read_only};
    CHECK(db.query_int("SELECT count(*) FROM feed WHERE status = 'stored'") == 3);
    const auto rows = db.query_int("SELECT count(*) FROM location");
    const auto distinct = db.query_int("SELECT count(*) FROM (SELECT DISTINCT lon, lat, street FROM location) AS d");
    CHECK(rows == distinct);
}

namespace {

namespace srv = hotref::server;
namespace http = boost::beast::http;

srv::Request request(http::verb verb, const std::string& target, const std::string& token, const std::string& body,
                     const std::string& type) {
    srv::Request r{verb, target, 11};
    r.set(http::field::host, "hotref.test");
    r.set(http::field::authorization, "Bearer " + token);
    if (!type.empty()) {
        r.set(http::field::content_type, type);
    }
    r.body() = body;
    r.prepare_payload();
    return r;
}

} // namespace

TEST_CASE("faults: the store replaced or deleted under the service: writes refused (503), reads go on") {
    if (t::on_postgres()) {
        MESSAGE("SpatiaLite only: a database cannot be replaced under the service as a file can");
        return;
    }
    for (const bool deleted : {false, true}) {
        CAPTURE(deleted);
        t::TempDir tmp;
        const std::string path = tmp.store();
        REQUIRE(run({"ingest", "-q", "--store", path, t::data("policeuk/2025-01-small-street.csv")},
                    tmp.file("b.log")) == 0);
        std::string token;
        {
            st::Store store{path, false};
            token = srv::create_token(store, "Ana Lyst", srv::Role::analyst);
        }
        srv::CatalogOptions co;
        co.store_path = path;
        co.quiet = true;
        co.min_interval_ms = 0;
        srv::Catalog catalog{co, 50};
        catalog.start();
        for (int i = 0; i < 200 && !catalog.current(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        REQUIRE_MESSAGE(catalog.current(), catalog.last_error());
        srv::Metrics metrics;
        srv::ServiceOptions so;
        so.store_path = path;
        srv::Service service{so, catalog, metrics};
        const auto feb = t::read_file(t::data("policeuk/2025-02-small-street.csv"));
        auto post = [&](const std::string& name) {
            return service.handle(request(http::verb::post, "/v1/feeds?name=" + name, token, feb, "text/csv")).response;
        };
        REQUIRE(post("2025-02-small-street.csv").result_int() == 200);
        for (int i = 0; i < 1000 && catalog.builds() < 2; ++i) { // the catalog publishes the new feed
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        // ... and its audit row: the snapshot to keep is the one after the catalog is quiet
        // (no new build for 1.5 s), however slow the machine.
        for (int quiet = 0, i = 0; quiet < 75 && i < 1500; ++i) {
            const auto before = catalog.builds();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            quiet = catalog.builds() == before ? quiet + 1 : 0;
        }
        const auto snap = catalog.current();

        // Replace (another store moved over the path) or delete the file.
        if (deleted) {
            fs::remove(path);
        } else {
            const std::string other = tmp.file("other.sqlite");
            REQUIRE(run({"ingest", "-q", "--store", other, t::data("policeuk/2025-01-small-street.csv")},
                        tmp.file("o.log")) == 0);
            fs::rename(other, path);
        }
        fs::remove(path + "-wal");
        fs::remove(path + "-shm");
        const auto refused = post("2025-03-small-street.csv");
        CHECK(refused.result_int() == 503);
        const auto body = nlohmann::json::parse(refused.body());
        CHECK(body["status"] == 503);
        CHECK(body["code"] == "store_replaced");
        const std::string message = body["message"];
        CHECK(contains(message, "the store " + path + (deleted ? " was deleted" : " was replaced by another file")));
        CHECK(contains(message, "restart the service"));
        CHECK(contains(message, "nothing was written"));
        // Reads are served from the last good snapshot, which the catalog keeps.
        const auto read = service.handle(request(http::verb::get, "/collections", token, "", ""));
        CHECK(read.response.result_int() == 200);
        catalog.poke();
        for (int i = 0; i < 100 && catalog.last_error().empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        CHECK(contains(catalog.last_error(), deleted ? "was deleted" : "was replaced"));
        CHECK(catalog.current() == snap);
        if (!deleted) {
            // The replacing file got nothing.
            CHECK(counts(path)["feed"] == 1);
        }
        catalog.stop();
    }
}
