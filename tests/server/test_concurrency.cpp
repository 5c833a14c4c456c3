// Many caseworkers at once: 8 clients create and update referrals over real HTTP for
// HOTREF_TEST_CONCURRENCY_SECONDS (30 by default), against two services sharing one store
// (as two `hotref serve` behind a load balancer), on SpatiaLite and, under tests/pg_suite.sh,
// on PostgreSQL. What must hold afterwards:
// - every answer is the one the lifecycle rules call for (201, 200, 422), never a 5xx;
// - nothing is lost: each referral is in the state its last accepted change put it in, and
//   the field every client overwrote on one shared referral has an audit chain in which each
//   old value is the previous new value (no update overwrote one it had not seen);
// - every call is in api_audit under its client's token, every accepted change in referral_audit.
#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/server.hpp"
#include "server/service.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

namespace t = hotref::test;
namespace srv = hotref::server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* secret = "a-test-secret-of-at-least-32-characters-long";

// One service with its HTTP server and a thread running it.
struct Instance {
    std::unique_ptr<srv::Catalog> catalog;
    srv::Metrics metrics;
    std::unique_ptr<srv::Service> service;
    std::unique_ptr<srv::Server> server;
    std::thread thread;
    unsigned short port = 0;

    Instance(const std::string& path, const std::string& log) {
        srv::CatalogOptions co;
        co.store_path = path;
        co.quiet = true;
        catalog = std::make_unique<srv::Catalog>(co, 200);
        catalog->start();
        srv::ServiceOptions so;
        so.store_path = path;
        so.referral_secret = secret;
        // The hourly cap on new referrals with a person per token (tested in test_refusal_check.cpp)
        // is lifted: this is a load test of thousands of referrals.
        so.referral_checks_per_hour = 100000000;
        service = std::make_unique<srv::Service>(so, *catalog, metrics);
        srv::ServerOptions opt;
        opt.port = 0;
        opt.threads = 4;
        opt.access_log = log;
        opt.handle_signals = false;
        server = std::make_unique<srv::Server>(opt, *service, metrics);
        server->listen();
        port = server->port();
        thread = std::thread([this] { server->run(); });
    }
    ~Instance() {
        server->stop();
        if (thread.joinable()) {
            thread.join();
        }
        catalog->stop();
    }
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
};

// A keep-alive HTTP/1.1 client.
struct Client {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    beast::flat_buffer buffer;
    std::string token;

    Client(unsigned short port, std::string t) : token(std::move(t)) {
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    http::response<http::string_body> call(http::verb verb, const std::string& target, const std::string& body) {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::authorization, "Bearer " + token);
        req.set(http::field::accept, "application/json");
        if (!body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = body;
        }
        req.prepare_payload();
        http::write(socket, req);
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        return res;
    }
};

struct Tally {
    std::map<int, int> statuses;   // status -> count
    int requests = 0;              // POST and PATCH sent to /v1/referrals
    int unexpected = 0;            // an answer other than the rules call for
    std::vector<double> ms;        // latency of each write
    std::vector<std::string> examples;
    std::map<std::string, std::string> state; // reference -> the state its last accepted change gave
    int shared_accepted = 0;
    std::map<std::string, int> accepted_fields; // reference -> accepted changed fields (audited rows)
};

int seconds() {
    const char* v = std::getenv("HOTREF_TEST_CONCURRENCY_SECONDS");
    return v == nullptr ? 30 : std::max(1, std::atoi(v));
}

std::string two(int v) {
    return (v < 10 ? "0" : "") + std::to_string(v);
}

} // namespace

TEST_CASE("concurrency: 8 clients writing referrals through two services on one store keep every rule and audit row") {
    t::TempDir tmp;
    const std::string path = tmp.store();
    std::vector<std::string> tokens;
    {
        hotref::store::Store create{path, true};
        for (int c = 0; c < 8; ++c) {
            tokens.push_back(srv::create_token(create, "caseworker " + std::to_string(c), srv::Role::caseworker));
        }
    }
    Instance a{path, tmp.file("a.log")};
    Instance b{path, tmp.file("b.log")};
    {
        Client setup{a.port, tokens[0]};
        const auto r = setup.call(http::verb::post, "/v1/referrals",
                                  R"({"reference":"SHARED","created_at":"2025-05-01T18:00","offence":"asb",)"
                                  R"("asb_qualifier":"nuisance","easting":435170,"northing":335720,)"
                                  R"("disposal":"community-resolution","provider":"IJ Provider","needs":"start",)"
                                  R"("age_band":"adult","person_id":"P-SHARED"})");
        REQUIRE_MESSAGE(r.result_int() == 201, r.body());
    }

    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds());
    std::vector<Tally> tallies(8);
    std::vector<std::thread> clients;
    for (int c = 0; c < 8; ++c) {
        clients.emplace_back([&, c] {
            auto& tally = tallies[static_cast<std::size_t>(c)];
            try {
                Client client{c % 2 == 0 ? a.port : b.port, tokens[static_cast<std::size_t>(c)]};
                auto write = [&](http::verb v, const std::string& target, const std::string& body, unsigned expected,
                                 const std::string& what) {
                    const auto t0 = std::chrono::steady_clock::now();
                    const auto r = client.call(v, target, body);
                    tally.ms.push_back(
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                    ++tally.requests;
                    ++tally.statuses[r.result_int()];
                    if (r.result_int() != expected) {
                        ++tally.unexpected;
                        if (tally.examples.size() < 3) {
                            tally.examples.push_back(what + ": " + std::to_string(r.result_int()) + " " +
                                                     r.body().substr(0, 300));
                        }
                    }
                    return r.result_int() == expected;
                };
                for (int k = 0; std::chrono::steady_clock::now() < until; ++k) {
                    const std::string ref = "C" + std::to_string(c) + "-" + std::to_string(k);
                    const std::string day = two(1 + k % 27);
                    const std::string target = "/v1/referrals/" + ref;
                    if (!write(http::verb::post, "/v1/referrals",
                               R"({"reference":")" + ref + R"(","created_at":"2025-05-)" + day +
                                   R"(T18:00","incident_refs":["INC-)" + ref +
                                   R"("],"offence":"asb","asb_qualifier":"nuisance","easting":435170,)"
                                   R"("northing":335720,"disposal":"community-resolution","provider":"IJ Provider",)"
                                   R"("age_band":"adult","person_id":"P-)" + ref + R"("})",
                               201, "create " + ref)) {
                        continue;
                    }
                    tally.state[ref] = "referred";
                    // Attended before it was booked: refused, nothing changes.
                    write(http::verb::patch, target, R"({"workshop_attended_at":"2025-05-)" + day + R"(T20:00"})", 422,
                          "attended before booked " + ref);
                    // The same incident twice: one referral per incident.
                    write(http::verb::post, "/v1/referrals",
                          R"({"reference":")" + ref + R"(-dup","created_at":"2025-05-)" + day +
                              R"(T18:00","incident_refs":["INC-)" + ref +
                              R"("],"offence":"asb","asb_qualifier":"nuisance","easting":435170,"northing":335720,)"
                              R"("disposal":"community-resolution","provider":"IJ Provider","age_band":"adult",)"
                              R"("person_id":"Q-)" + ref + R"("})",
                          422, "second referral of one incident " + ref);
                    if (write(http::verb::patch, target, R"({"contacted_at":"2025-05-)" + day + R"(T19:00"})", 200,
                              "contact " + ref)) {
                        tally.state[ref] = "contacted";
                        ++tally.accepted_fields[ref];
                    }
                    if (k % 2 == 0 && write(http::verb::patch, target,
                                            R"({"outcome":"refused","outcome_at":"2025-05-)" + day + R"(T21:00"})",
                                            200, "refuse " + ref)) {
                        tally.state[ref] = "refused";
                        tally.accepted_fields[ref] += 2;
                        // No second chance after a refusal.
                        write(http::verb::patch, target, R"({"outcome":"completed","outcome_at":"2025-05-)" + day +
                                                             R"(T22:00"})",
                              422, "completed after refusal " + ref);
                    }
                    if (write(http::verb::patch, "/v1/referrals/SHARED",
                              R"({"needs":"client )" + std::to_string(c) + " write " + std::to_string(k) + R"("})", 200,
                              "shared")) {
                        ++tally.shared_accepted;
                    }
                }
            } catch (const std::exception& e) {
                ++tally.unexpected;
                tally.examples.push_back(std::string{"client failed: "} + e.what());
            }
        });
    }
    for (auto& th : clients) {
        th.join();
    }

    std::vector<double> ms;
    int requests = 0;
    int shared = 0;
    for (std::size_t c = 0; c < tallies.size(); ++c) {
        const auto& tally = tallies[c];
        CAPTURE(c);
        for (const auto& e : tally.examples) {
            MESSAGE(e);
        }
        CHECK(tally.unexpected == 0);
        CHECK(tally.requests > 20);
        ms.insert(ms.end(), tally.ms.begin(), tally.ms.end());
        requests += tally.requests;
        shared += tally.shared_accepted;
        for (const auto& entry : tally.statuses) { // not a structured binding: clang 14 cannot capture one
            CHECK_MESSAGE(entry.first < 500, entry.first << " answered " << entry.second << " times");
        }
    }
    std::sort(ms.begin(), ms.end());
    REQUIRE(!ms.empty());
    MESSAGE(requests << " referral writes in " << seconds() << " s by 8 clients ("
                     << (hotref::store::pg::is_url(path) ? "PostgreSQL" : "SpatiaLite") << "): "
                     << requests / seconds() << " per second, median "
                     << ms[ms.size() / 2] << " ms, p99 " << ms[ms.size() * 99 / 100] << " ms");

    // What the store holds, read directly.
    hotref::store::Database db{path, hotref::store::OpenMode::read_only};
    for (std::size_t c = 0; c < tallies.size(); ++c) {
        const auto& tally = tallies[c];
        // Every call audited under its token (the setup POST was caseworker 0's).
        hotref::store::Statement calls{db, "SELECT count(*) FROM api_audit WHERE token_name = ? AND "
                                           "method IN ('POST', 'PATCH') AND target LIKE '/v1/referrals%'"};
        calls.bind(1, "caseworker " + std::to_string(c));
        REQUIRE(calls.step());
        CHECK(calls.column_int(0) == tally.requests + (c == 0 ? 1 : 0));
        for (const auto& entry : tally.state) { // not a structured binding: clang 14 cannot CAPTURE one
            const auto& ref = entry.first;
            const auto& state = entry.second;
            CAPTURE(ref);
            hotref::store::Statement st{db, "SELECT state, (SELECT count(*) FROM referral_audit a WHERE "
                                            "a.referral_id = r.id AND a.action = 'update') FROM referral r WHERE "
                                            "reference = ?"};
            st.bind(1, ref);
            REQUIRE(st.step());
            CHECK(st.column_text(0) == state);
            const auto it = tally.accepted_fields.find(ref);
            CHECK(st.column_int(1) >= (it == tally.accepted_fields.end() ? 0 : it->second));
        }
    }
    // The shared referral: one audited change per accepted write, chained old -> new.
    hotref::store::Statement chain{db, "SELECT a.old_value, a.new_value FROM referral_audit a JOIN referral r ON "
                                       "r.id = a.referral_id WHERE r.reference = 'SHARED' AND a.field = 'needs' AND "
                                       "a.action = 'update' ORDER BY a.id"};
    int links = 0;
    std::string last = "start";
    bool chained = true;
    while (chain.step()) {
        chained = chained && chain.column_text(0) == last;
        last = chain.column_text(1);
        ++links;
    }
    CHECK(chained);
    CHECK(links == shared);
    hotref::store::Statement now{db, "SELECT needs FROM referral WHERE reference = 'SHARED'"};
    REQUIRE(now.step());
    CHECK(now.column_text(0) == last);
}
