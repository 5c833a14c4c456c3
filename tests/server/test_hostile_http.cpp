// The server under hostile HTTP, over real loopback sockets: request
// smuggling and malformed framing, a flood of connections and slowloris from
// one address while another is served, absurd query values, and bearer-token
// guessing.

#include "hostile.hpp"

#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmath>
#include <vector>

using namespace hotref::test::hostile;
namespace t = hotref::test;
using json = nlohmann::json;

namespace {

// Sends `bytes` on a new connection; the status of the one response, and whether the server then closed.
std::pair<int, bool> answer_then_closed(unsigned short port, const std::string& bytes) {
    Client c{port};
    c.send(bytes);
    const auto res = c.read();
    return {res.result_int(), c.closed()};
}

} // namespace

TEST_CASE("hostile http: smuggling and malformed framing are refused with 400 and the connection closed") {
    Served s;
    const std::string post = "POST /v1/referrals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    // Both Content-Length and Transfer-Encoding (either order), then a smuggled request
    // that must never be answered.
    const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const std::string& framing : std::vector<std::string>{std::string{"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"},
                                       std::string{"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"}}) {
        CAPTURE(framing);
        Client c{s.port};
        c.send(post + framing + "\r\n0\r\n\r\n" + smuggled);
        CHECK(c.read().result_int() == 400);
        CHECK(c.closed()); // the smuggled GET got no answer
    }
    const std::vector<std::pair<std::string, std::string>> cases{
        {"two different Content-Lengths", post + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}}"},
        {"a chunk size that is not hex", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
        {"a chunk size that overflows", post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"},
        {"a negative chunk size", post + "Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n"},
        {"a chunk longer than its size", post + "Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n"},
        {"a negative Content-Length", post + "Content-Length: -2\r\n\r\n{}"},
        {"a Transfer-Encoding other than chunked last", post + "Transfer-Encoding: chunked, gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
        {"NUL in a header name", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A" + std::string(1, '\0') + "b: 1\r\n\r\n"},
        {"CR in a header name", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A\rb: 1\r\n\r\n"},
        {"a space before the colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n"},
        {"NUL in a header value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a" + std::string(1, '\0') + "b\r\n\r\n"},
        {"a bare LF line", "GET /healthz HTTP/1.1\nHost: x\n\n"},
        {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
    };
    for (const auto& [what, bytes] : cases) {
        const auto& case_name = what; // clang 14: no structured binding in CAPTURE's lambda
        CAPTURE(case_name);
        const auto [status, closed] = answer_then_closed(s.port, bytes);
        CHECK(status == 400);
        CHECK(closed);
    }
    // Many small headers add up to the header limit: 431, closed.
    std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 2000; ++i) {
        many += "X-" + std::to_string(i) + ": a\r\n";
    }
    const auto [status, closed] = answer_then_closed(s.port, many + "\r\n");
    CHECK(status == 431);
    CHECK(closed);
    // And the server still answers.
    CHECK(fetch(s.port, request("GET", "/healthz")).result_int() == 200);
}

namespace {

// Raises the soft limit on open files to the hard one; returns the limit.
rlim_t raise_fd_limit() {
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur;
}

// A raw connection from 127.0.0.1 that sends the start of a request and stops (slowloris).
int half_request(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    static constexpr char start[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    (void)::send(fd, start, sizeof start - 1, MSG_NOSIGNAL);
    return fd;
}

// True while the server keeps `fd` open (nothing to read yet, no end of stream).
bool held_open(int fd) {
    char c;
    const auto n = ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

} // namespace

TEST_CASE("hostile http: 10k connections from one address leave another address served") {
    const auto fds = raise_fd_limit();
    const int n = static_cast<int>(std::min<rlim_t>(10000, fds > 600 ? fds - 500 : 100));
    MESSAGE("open-file limit " << fds << ": " << n << " connections");
    Served s{[](srv::ServiceOptions&, srv::ServerOptions& o) {
        o.max_connections = 512;
        o.max_connections_per_client = 16;
        o.read_timeout = std::chrono::milliseconds(10000); // the attack outlasts the test
    }};
    std::vector<int> attack;
    attack.reserve(static_cast<std::size_t>(n));
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
        if (const int fd = half_request(s.port); fd >= 0) {
            attack.push_back(fd);
        }
    }
    MESSAGE(attack.size() << " connections opened in " << seconds_since(start) << " s");
    CHECK(attack.size() >= static_cast<std::size_t>(n * 9 / 10));
    // Another client (127.0.0.2) is served at once, every time, while the attack holds on.
    double slowest = 0;
    int served = 0;
    for (int i = 0; i < 50; ++i) {
        const auto t0 = Clock::now();
        try {
            if (fetch(s.port, request("GET", "/healthz"), "127.0.0.2").result_int() == 200) {
                ++served;
            }
        } catch (const std::exception&) {
        }
        slowest = std::max(slowest, seconds_since(t0));
    }
    CHECK(served == 50);
    CHECK(slowest < 1.0);
    MESSAGE("legitimate /healthz: " << served << "/50 served, slowest " << slowest * 1000 << " ms");
    // The attacker holds no more than its share; the rest were told 503 and closed.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int held = 0;
    for (const int fd : attack) {
        held += held_open(fd) ? 1 : 0;
    }
    CHECK(held <= 16);
    {
        Client c{s.port};
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        boost::system::error_code ec;
        http::read(c.socket, buffer, res, ec);
        CHECK(res.result_int() == 503); // one more from the attacker's address: refused, and told why
        CHECK(res.body().find("too_many_connections") != std::string::npos);
    }
    CHECK(s.metrics.render("").find("hotref_connections_refused_total " + std::to_string(attack.size() - 16 + 1) + "\n") !=
          std::string::npos);
    for (const int fd : attack) {
        ::close(fd);
    }
    // Its slots come back once it lets go.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(fetch(s.port, request("GET", "/healthz")).result_int() == 200);
}

TEST_CASE("hostile http: many addresses together stop at the overall connection limit") {
    Served s{[](srv::ServiceOptions&, srv::ServerOptions& o) {
        o.max_connections = 40;
        o.max_connections_per_client = 10;
    }};
    std::vector<std::unique_ptr<Client>> held;
    for (int a = 2; a < 8; ++a) {
        for (int i = 0; i < 10; ++i) {
            held.push_back(std::make_unique<Client>(s.port, "127.0.0." + std::to_string(a)));
            held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int open = 0;
    for (auto& c : held) {
        open += held_open(c->socket.native_handle()) ? 1 : 0;
    }
    CHECK(open == 40);
}

TEST_CASE("hostile http: a client trickling its headers is cut off at the header deadline") {
    Served s{[](srv::ServiceOptions&, srv::ServerOptions& o) { o.read_timeout = std::chrono::milliseconds(1000); }};
    Client c{s.port};
    const std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a');
    const auto start = Clock::now();
    bool cut = false;
    for (const char ch : header) {
        boost::system::error_code ec;
        asio::write(c.socket, asio::buffer(&ch, 1), ec);
        if (ec || !held_open(c.socket.native_handle())) {
            cut = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // a byte every 100 ms keeps no timer alive
        if (seconds_since(start) > 4) {
            break;
        }
    }
    CHECK(cut);
    CHECK(seconds_since(start) < 2.0);
}

TEST_CASE("hostile http: guessing bearer tokens is limited per address; other clients are not") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) { so.token_failures_per_minute = 20; }};
    const auto bogus = [](int i) { return "hr_guess" + std::to_string(i); };
    int refused = 0, limited = 0;
    std::string retry_after;
    for (int i = 0; i < 30; ++i) {
        const auto res = fetch(s.port, request("GET", "/collections", bogus(i)), "127.0.0.3");
        refused += res.result_int() == 401 ? 1 : 0;
        if (res.result_int() == 429) {
            ++limited;
            retry_after = std::string{res[http::field::retry_after]};
        }
    }
    CHECK(refused == 20);
    CHECK(limited == 10);
    CHECK(!retry_after.empty());
    CHECK(std::stoi(retry_after) >= 1);
    CHECK(std::stoi(retry_after) <= 60);
    // While limited, even a valid token from that address is not checked.
    CHECK(fetch(s.port, request("GET", "/collections", s.analyst), "127.0.0.3").result_int() == 429);
    // Another address is unaffected: its valid token works, its mistake is a plain 401.
    CHECK(fetch(s.port, request("GET", "/collections", s.analyst), "127.0.0.4").result_int() == 200);
    CHECK(fetch(s.port, request("GET", "/collections", bogus(99)), "127.0.0.4").result_int() == 401);
}

TEST_CASE("hostile http: absurd bbox, limit, offset and datetime values answer 400 naming the parameter") {
    Served s{{}, true};
    REQUIRE(s.catalog->current());
    const std::string items = "/collections/hotspots/items?";
    const std::string two63 = "9223372036854775808";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"bbox", "bbox=nan,nan,nan,nan"},
        {"bbox", "bbox=-inf,50,inf,54"},
        {"bbox", "bbox=1e308,1e308,1e308,1e308"},
        {"bbox", "bbox=-1e999,50,0,54"},
        {"bbox", "bbox=" + two63 + ",50,0,54"},
        {"bbox", "bbox="},
        {"bbox", "bbox=-2,50,-1"},
        {"bbox", "bbox=" + std::string(3000, '1') + ",50,0,54"},
        {"bbox", "bbox=-2,50,-1,54,0,0,0,0"},
        {"limit", "limit=" + two63},
        {"limit", "limit=-1"},
        {"limit", "limit="},
        {"limit", "limit=nan"},
        {"limit", "limit=1e308"},
        {"limit", "limit=" + std::string(3000, '9')},
        {"offset", "offset=" + two63},
        {"offset", "offset=-1"},
        {"offset", "offset="},
        {"offset", "offset=1e308"},
        {"offset", "offset=18446744073709551617"},
        {"datetime", "datetime="},
        {"datetime", "datetime=nan"},
        {"datetime", "datetime=1e308"},
        {"datetime", "datetime=-1"},
        {"datetime", "datetime=2025-01-01T00:00:00.5e308Z"},
        {"datetime", "datetime=2025-01-01T00:00:00+ab:cd"},
        {"datetime", "datetime=2025-01-01T00:00:00+99:00"},
        {"datetime", "datetime=9999999999-01-01T00:00:00Z"},
        {"datetime", "datetime=2025-02-30"},
        {"datetime", "datetime=../.."},
        {"datetime", "datetime=2025-06-01/2025-01-01"},
        {"datetime", "datetime=" + std::string(3000, '2')},
    };
    for (const auto& [param, query] : cases) {
        const auto query_start = query.substr(0, 80); // clang 14: no structured binding in CAPTURE's lambda
        CAPTURE(query_start);
        const auto res = fetch(s.port, request("GET", items + query));
        CHECK(res.result_int() == 400);
        const auto body = json::parse(res.body(), nullptr, false);
        REQUIRE(body.is_object());
        CHECK(body["code"] == "bad_request");
        const auto message = body["message"].get<std::string>();
        CHECK(message.find(param) != std::string::npos);
        CHECK(message.size() < 400); // an overlong value is not echoed whole
    }
    // Sane values still work, and an absurdly large limit is capped, not refused.
    CHECK(fetch(s.port, request("GET", items + "bbox=-2,52.5,-1,53.6&datetime=2025-01-01/..")).result_int() == 200);
    CHECK(fetch(s.port, request("GET", items + "limit=999999999999")).result_int() == 200);
    CHECK(fetch(s.port, request("GET", items + "offset=1000000000")).result_int() == 200);
    // Tiles: absurd z/x/y.
    for (const std::string& tile : std::vector<std::string>{"/tiles/hotspots/99/0/0.pbf", "/tiles/hotspots/1/" + two63 + "/0.pbf",
                                    "/tiles/hotspots/1/-1/0.pbf", "/tiles/hotspots/nan/0/0.pbf"}) {
        CAPTURE(tile);
        CHECK(fetch(s.port, request("GET", tile)).result_int() == 400);
    }
}

TEST_CASE("hostile http: 20,000 bogus tokens neither flush the token cache nor get cached") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const auto token = srv::create_token(store, "desk", srv::Role::analyst);
    srv::TokenCache cache{std::chrono::minutes(10)};
    REQUIRE(cache.verify(store, token));
    CHECK(cache.lookups() == 1);
    int found = 0;
    for (int i = 0; i < 20000; ++i) {
        found += cache.verify(store, "hr_bogus-" + std::to_string(i)) ? 1 : 0;
    }
    CHECK(found == 0);
    CHECK(cache.lookups() == 20001);
    // The valid token is still answered from the cache: no store lookup.
    const auto again = cache.verify(store, token);
    REQUIRE(again);
    CHECK(again->name == "desk");
    CHECK(cache.lookups() == 20001);
    // A bogus token is looked up every time (never cached as "unknown").
    (void)cache.verify(store, "hr_bogus-1");
    CHECK(cache.lookups() == 20002);
    // Comparison by hash: a token differing in its last character is not taken.
    CHECK_FALSE(srv::verify_token(store, token.substr(0, token.size() - 1) + (token.back() == 'A' ? "B" : "A")));
    CHECK(srv::verify_token(store, token));
}

TEST_CASE("hostile http: a referral is held to its own size and field limits, as the CSV import is") {
    Served s{[](srv::ServiceOptions& so, srv::ServerOptions&) {
        so.referral_secret = std::string(32, 'k');
        so.max_referral_bytes = 16 * 1024;
    }};
    const auto good = [](const std::string& reference) {
        return json{{"reference", reference},      {"created_at", "2025-05-01T18:00"}, {"incident_refs", {"DC-1"}},
                    {"offence", "asb"},            {"disposal", "community-resolution"},
                    {"age_band", "adult"},         {"first_time_entrant", false},      {"person_id", "PNC-" + reference}};
    };
    const auto post = [&](const json& body) {
        return fetch(s.port, request("POST", "/v1/referrals", s.admin, body.dump(), "application/json"));
    };
    // A referral within every limit is created: the limits below are what refuse the others.
    CHECK(post(good("IJ-1")).result_int() == 201);

    // A body over --max-referral-size is refused before it is parsed, naming the option.
    auto big = good("IJ-2");
    big["needs"] = std::string(20 * 1024, 'x');
    const auto too_big = post(big);
    CHECK(too_big.result_int() == 413);
    CHECK(too_big.body().find("--max-referral-size") != std::string::npos);

    // Within the body limit, a field longer than its own limit is a 422 naming the field.
    auto long_needs = good("IJ-3");
    long_needs["needs"] = std::string(5000, 'x');
    const auto needs = post(long_needs);
    CHECK(needs.result_int() == 422);
    CHECK(needs.body().find("needs") != std::string::npos);
    CHECK(needs.body().find("4096") != std::string::npos);

    auto long_offence = good("IJ-4");
    long_offence["offence"] = std::string(300, 'a');
    CHECK(post(long_offence).result_int() == 422);

    // More incidents than one referral may link.
    auto many = good("IJ-5");
    many["incident_refs"] = json::array();
    for (int i = 0; i < 101; ++i) {
        many["incident_refs"].push_back("DC-" + std::to_string(i));
    }
    const auto refs = post(many);
    CHECK(refs.result_int() == 422);
    CHECK(refs.body().find("more than the 100") != std::string::npos);

    // A control character in a coded field (an escape sequence in a reference, say).
    auto control = good("IJ-6");
    control["provider"] = "Remedi";
    control["reference"] = std::string{"IJ-6\x1b[2J"};
    const auto esc = post(control);
    CHECK(esc.result_int() == 422);
    CHECK(esc.body().find("control character") != std::string::npos);

    // None of the refused ones was stored.
    const auto list = fetch(s.port, request("GET", "/v1/referrals", s.admin, "", ""));
    REQUIRE(list.result_int() == 200);
    CHECK(list.body().find("IJ-1") != std::string::npos);
    for (const char* ref : {"IJ-2", "IJ-3", "IJ-4", "IJ-5", "IJ-6"}) {
        CHECK(list.body().find(ref) == std::string::npos);
    }
}
