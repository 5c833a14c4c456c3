// Writes through the API under hostile or heavy use: malformed FeedBatch
// bodies, a zip bomb, a batch of 20,000 tiny files, and a long ingest, which
// runs as a job in a bounded queue while reads, /healthz and a stop stay
// responsive, and which can be cancelled leaving nothing of its file stored.

#include "hostile.hpp"

#include "hotref/v1/api.pb.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace hotref::test::hostile;
namespace t = hotref::test;
using json = nlohmann::json;

namespace {

std::string batch_of(const std::vector<std::pair<std::string, std::string>>& files) {
    hotref::v1::FeedBatch batch;
    for (const auto& [name, content] : files) {
        auto* f = batch.add_files();
        f->set_name(name);
        f->set_content(content);
    }
    std::string bytes;
    batch.SerializeToString(&bytes);
    return bytes;
}

std::int64_t sql_int(const std::string& path, const std::string& sql) {
    hotref::store::Database db{path, false};
    return db.query_int(sql);
}

// kB of the process's resident set: "VmRSS" now, or "VmHWM" its peak.
long status_kb(const std::string& key) {
    std::ifstream in{"/proc/self/status"};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            return std::stol(line.substr(key.size() + 1));
        }
    }
    return -1;
}

// A data.police.uk month of `rows` generated rows (hotref-gen), as bytes.
std::string generated_month(const t::TempDir& tmp, int rows, const std::string& month) {
    const auto out = tmp.file(month + "-derbyshire-street.csv");
    const std::string cmd = "'" + std::string{HOTREF_GEN} + "' --rows " + std::to_string(rows) + " --months " + month +
                            " --out '" + out + "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return t::read_file(out);
}

std::string json_field(const std::string& body, const std::string& key) {
    const auto j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains(key)) {
        return "";
    }
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

} // namespace

TEST_CASE("hostile feeds: malformed FeedBatch bodies answer 400 naming the problem") {
    Served s;
    const auto post = [&](const std::string& body, const std::string& type) {
        return fetch(s.port, request("POST", "/v1/feeds", s.analyst, body, type));
    };
    for (const std::string& body : std::vector<std::string>{std::string{"\x0a\xff\xff\xff\xff\x0f"}, std::string{"\xff\xff\xff"},
                                    std::string{"\x0a\x05\x0a\x03"}, std::string(1000, '\x0a')}) {
        const auto res = post(body, "application/x-protobuf");
        CHECK(res.result_int() == 400);
        CHECK(json_field(res.body(), "message").find("hotref.v1.FeedBatch") != std::string::npos);
    }
    // JSON nested 100,000 deep: refused, not a crash.
    const auto deep = "{\"files\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK(post(deep, "application/json").result_int() == 400);
    CHECK(fetch(s.port, request("GET", "/healthz")).result_int() == 200);
}

TEST_CASE("hostile feeds: 20,000 one-byte files are refused at once by the batch file limit") {
    Served s;
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 0; i < 20000; ++i) {
        files.emplace_back("2025-01-f" + std::to_string(i) + "-street.csv", "x");
    }
    const auto start = Clock::now();
    const auto res = fetch(s.port, request("POST", "/v1/feeds", s.analyst, batch_of(files), "application/x-protobuf"));
    CHECK(res.result_int() == 413);
    CHECK(seconds_since(start) < 3.0);
    const auto message = json_field(res.body(), "message");
    CHECK(message.find("1000") != std::string::npos);
    CHECK(message.find("--max-batch-files") != std::string::npos);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed") == 0);
}

TEST_CASE("hostile feeds: an archive holding more files than the limit is refused too") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) { so.max_batch_files = 20; }};
    t::TempDir tmp;
    const auto dir = tmp.file("many");
    std::filesystem::create_directories(dir);
    for (int i = 0; i < 30; ++i) {
        t::write_file(dir + "/2025-01-f" + std::to_string(i) + "-street.csv", "x\n");
    }
    REQUIRE(std::system(("cd '" + dir + "' && zip -q -r ../many.zip .").c_str()) == 0);
    const auto zip = t::read_file(tmp.file("many.zip"));
    const auto res = fetch(s.port, request("POST", "/v1/feeds?name=many.zip", s.analyst, zip, "application/zip"));
    CHECK_MESSAGE(res.result_int() == 413, res.body());
    CHECK(json_field(res.body(), "message").find("--max-batch-files") != std::string::npos);
}

TEST_CASE("hostile feeds: a zip bomb is refused with 413 naming the limit; memory stays bounded") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) { so.max_expanded_bytes = 16 * 1024 * 1024; }};
    t::TempDir tmp;
    // 200 MB of one repeated police.uk row, deflated to a few hundred kB.
    const auto csv = tmp.file("2025-01-bomb-street.csv");
    {
        std::ofstream out{csv};
        out << "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
               "Last outcome category,Context\n";
        const std::string row = ",2025-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.377978,53.095745,On or "
                                "near Prospect Street,E01019400,Amber Valley 001A,Anti-social behaviour,,\n";
        for (std::size_t written = 0; written < 200u * 1024 * 1024; written += row.size()) {
            out << row;
        }
    }
    REQUIRE(std::system(("cd '" + tmp.path().string() + "' && zip -q -1 bomb.zip 2025-01-bomb-street.csv").c_str()) == 0);
    std::filesystem::remove(csv);
    const auto zip = t::read_file(tmp.file("bomb.zip"));
    MESSAGE("zip bomb: " << zip.size() << " bytes, 200 MiB expanded");
    CHECK(zip.size() < 2u * 1024 * 1024);
    // Peak RSS from here on (writing "5" to clear_refs resets VmHWM).
    t::write_file("/proc/self/clear_refs", "5");
    const long before = status_kb("VmRSS");
    const auto res = fetch(s.port, request("POST", "/v1/feeds?name=bomb.zip", s.analyst, zip, "application/zip"));
    const long peak = status_kb("VmHWM");
    MESSAGE("RSS before " << before / 1024 << " MiB, peak during the request " << peak / 1024 << " MiB");
    CHECK_MESSAGE(res.result_int() == 413, res.body());
    const auto message = json_field(res.body(), "message");
    CHECK(message.find("16 MiB") != std::string::npos);
    CHECK(message.find("--max-expanded") != std::string::npos);
    CHECK(peak - before < 64 * 1024); // far below the 200 MiB it expands to
    CHECK(sql_int(s.path, "SELECT count(*) FROM incident") == 0);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed WHERE status = 'stored'") == 0);
}

namespace {

// Follows a job until it has ended (or `seconds` pass); its last JSON.
json follow(const Served& s, const std::string& href, double seconds) {
    const auto start = Clock::now();
    json j;
    while (seconds_since(start) < seconds) {
        j = json::parse(fetch(s.port, request("GET", href, s.analyst)).body());
        if (j["state"] != "queued" && j["state"] != "running") {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return j;
}

std::string job_href(const http::response<http::string_body>& res) {
    const std::string location{res[http::field::location]};
    const auto v1 = location.find("/v1/jobs/");
    return v1 == std::string::npos ? "" : location.substr(v1);
}

constexpr int big_rows = 400000; // a month (84 MB) that takes 3 s or more to ingest

} // namespace

TEST_CASE("feed jobs: a long ingest is a job; /healthz, reads and a stop are never blocked by it") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) { so.feed_wait = std::chrono::milliseconds(200); },
             true};
    t::TempDir tmp;
    const auto body = batch_of({{"2025-03-derbyshire-street.csv", generated_month(tmp, big_rows, "2025-03")}});
    const auto feeds_before = sql_int(s.path, "SELECT count(*) FROM feed");
    const auto rows_before = sql_int(s.path, "SELECT count(*) FROM incident");
    auto start = Clock::now();
    const auto res = fetch(s.port, request("POST", "/v1/feeds", s.analyst, body, "application/x-protobuf"));
    CHECK(seconds_since(start) < 3.0); // sending 84 MB, and --feed-wait; not the ingest
    REQUIRE(res.result_int() == 202);
    CHECK(res[http::field::retry_after] == "1");
    const auto href = job_href(res);
    REQUIRE(!href.empty());
    CHECK(json_field(res.body(), "href").find(href) != std::string::npos);
    // While it runs: health, readiness and reads answer within a second, from other connections.
    double slowest = 0;
    bool seen_running = false;
    for (int i = 0; i < 10; ++i) {
        for (const std::string& target : std::vector<std::string>{"/healthz", "/readyz", "/collections/hotspots/items?limit=5"}) {
            const auto t0 = Clock::now();
            CHECK(fetch(s.port, request("GET", target)).result_int() == 200);
            slowest = std::max(slowest, seconds_since(t0));
        }
        seen_running = seen_running ||
                       json_field(fetch(s.port, request("GET", href, s.analyst)).body(), "state") == "running";
    }
    CHECK(seen_running);
    CHECK(slowest < 1.0);
    MESSAGE("slowest read while ingesting: " << slowest * 1000 << " ms");
    // Another token cannot see the job.
    CHECK(fetch(s.port, request("GET", href, "")).result_int() == 401);
    // A stop (what SIGTERM does) does not wait for the ingest: the file is rolled back.
    start = Clock::now();
    s.stop();
    const double stop_seconds = seconds_since(start);
    MESSAGE("stopped in " << stop_seconds << " s");
    CHECK(stop_seconds < 3.0);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed WHERE status = 'stored'") == feeds_before);
    CHECK(sql_int(s.path, "SELECT count(*) FROM incident") == rows_before);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed_partition WHERE month = '2025-03'") == 0);
}

TEST_CASE("feed jobs: DELETE cancels a running job and leaves nothing of its file; then the next one runs") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) {
        so.feed_wait = std::chrono::milliseconds(100);
        so.max_queued_jobs = 1;
    }};
    t::TempDir tmp;
    const auto big = batch_of({{"2025-03-derbyshire-street.csv", generated_month(tmp, big_rows, "2025-03")}});
    const auto small = t::read_file(t::data("policeuk/2025-01-small-street.csv"));
    const auto res = fetch(s.port, request("POST", "/v1/feeds", s.analyst, big, "application/x-protobuf"));
    REQUIRE(res.result_int() == 202);
    const auto href = job_href(res);
    // The queue holds one more; a third is refused with Retry-After.
    const auto queued = fetch(s.port, request("POST", "/v1/feeds?name=2025-01-small-street.csv", s.analyst, small,
                                              "text/csv"));
    REQUIRE(queued.result_int() == 202);
    const auto full = fetch(s.port, request("POST", "/v1/feeds?name=2025-01-small-street.csv", s.analyst, small,
                                            "text/csv"));
    CHECK(full.result_int() == 503);
    CHECK(!std::string{full[http::field::retry_after]}.empty());
    CHECK(json_field(full.body(), "message").find("--max-queued-jobs") != std::string::npos);
    // Cancel the running one.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto start = Clock::now();
    const auto cancelled = fetch(s.port, request("DELETE", href, s.analyst));
    CHECK(seconds_since(start) < 3.0);
    REQUIRE(cancelled.result_int() == 200);
    const auto j = json::parse(cancelled.body());
    CHECK(j["state"] == "cancelled");
    CHECK(j["message"].get<std::string>().find("rolled back") != std::string::npos);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed_partition WHERE month = '2025-03'") == 0);
    // The queued one runs next, and is stored whole.
    const auto next = follow(s, job_href(queued), 10);
    CHECK(next["state"] == "done");
    CHECK(next["report"]["files"][0]["status"] == "stored");
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed WHERE status = 'stored'") == 1);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed_partition WHERE month = '2025-03'") == 0);
    CHECK(sql_int(s.path, "SELECT count(*) FROM api_audit WHERE target = '/v1/feeds'") == 2);
    // An ended job cannot be cancelled again; an unknown one is 404.
    CHECK(json_field(fetch(s.port, request("DELETE", href, s.analyst)).body(), "state") == "cancelled");
    CHECK(fetch(s.port, request("GET", "/v1/jobs/999", s.analyst)).result_int() == 404);
    CHECK(fetch(s.port, request("GET", "/v1/jobs/x", s.analyst)).result_int() == 404);
}

TEST_CASE("feed jobs: a job longer than --max-job-time is cancelled and rolled back") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) {
        so.feed_wait = std::chrono::milliseconds(100);
        so.max_job_time = std::chrono::milliseconds(500);
    }};
    t::TempDir tmp;
    const auto big = batch_of({{"2025-03-derbyshire-street.csv", generated_month(tmp, big_rows, "2025-03")}});
    const auto res = fetch(s.port, request("POST", "/v1/feeds", s.analyst, big, "application/x-protobuf"));
    REQUIRE(res.result_int() == 202);
    const auto j = follow(s, job_href(res), 10);
    CHECK(j["state"] == "cancelled");
    CHECK(j["message"].get<std::string>().find("--max-job-time") != std::string::npos);
    CHECK(sql_int(s.path, "SELECT count(*) FROM incident") == 0);
}

TEST_CASE("feed jobs: a quick ingest is answered at once with its report, as before") {
    Served s;
    const auto small = t::read_file(t::data("policeuk/2025-01-small-street.csv"));
    const auto res = fetch(s.port, request("POST", "/v1/feeds?name=2025-01-small-street.csv", s.analyst, small,
                                           "text/csv"));
    REQUIRE(res.result_int() == 200);
    CHECK(json::parse(res.body())["files"][0]["status"] == "stored");
}

TEST_CASE("feed jobs: SIGTERM stops hotref serve within seconds while a feed is being ingested") {
    t::TempDir tmp;
    const auto store_path = tmp.store();
    std::string analyst;
    {
        hotref::store::Store create{store_path, true};
        analyst = srv::create_token(create, "analyst", srv::Role::analyst);
    }
    const auto port_file = tmp.file("port");
    const std::vector<std::string> args{HOTREF_BINARY, "serve",        "--store",      store_path, "--port", "0",
                                        "--port-file", port_file,      "--feed-wait",  "100",      "--max-body",
                                        "256",         "--access-log", "off"};
    std::vector<char*> argv;
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    unsigned short port = 0;
    for (int i = 0; i < 200 && port == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto text = t::read_file(port_file);
        if (!text.empty() && text.back() == '\n') {
            port = static_cast<unsigned short>(std::stoi(text));
        }
    }
    REQUIRE(port != 0);
    const auto big = batch_of({{"2025-03-derbyshire-street.csv", generated_month(tmp, big_rows, "2025-03")}});
    const auto res = fetch(port, request("POST", "/v1/feeds", analyst, big, "application/x-protobuf"));
    CHECK(res.result_int() == 202);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(fetch(port, request("GET", "/healthz")).result_int() == 200);
    const auto start = Clock::now();
    REQUIRE(::kill(pid, SIGTERM) == 0);
    int status = 0;
    pid_t done = 0;
    while (done == 0 && seconds_since(start) < 10) {
        done = ::waitpid(pid, &status, WNOHANG);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (done == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    const double stop_seconds = seconds_since(start);
    MESSAGE("hotref serve stopped " << stop_seconds << " s after SIGTERM");
    CHECK(done == pid);
    CHECK(stop_seconds < 5.0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(sql_int(store_path, "SELECT count(*) FROM incident") == 0);
    CHECK(t::store_integrity(store_path) == "ok");
}

TEST_CASE("hostile feeds: each file of a batch is held to the ingest limits the service was started with") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) {
        so.ingest_limits.max_rows = 100;
        so.ingest_limits.max_field_bytes = 4096;
    }};
    t::TempDir tmp;
    const auto small = generated_month(tmp, 80, "2025-01");
    const auto large = generated_month(tmp, 150, "2025-02");
    const auto post = [&](const std::string& name, const std::string& body) {
        return fetch(s.port, request("POST", "/v1/feeds?name=" + name, s.analyst, body, "text/csv"));
    };
    CHECK(post("2025-01-derbyshire-street.csv", small).result_int() == 200);
    const auto over = post("2025-02-derbyshire-street.csv", large);
    CHECK_MESSAGE(over.result_int() == 422, over.body());
    CHECK(over.body().find("--max-rows") != std::string::npos);
    // A field longer than --max-field-length: the file is refused, naming that option.
    auto wide = small;
    const auto at = wide.find("On or near");
    REQUIRE(at != std::string::npos);
    wide.insert(at, std::string(5000, 'x'));
    const auto field = post("2025-01-derbyshire-street.csv", wide);
    CHECK_MESSAGE(field.result_int() == 422, field.body());
    CHECK(field.body().find("--max-field-length") != std::string::npos);
    CHECK(sql_int(s.path, "SELECT count(*) FROM feed WHERE status = 'stored'") == 1);
}
