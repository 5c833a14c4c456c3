// The network side: a real server on a loopback port, spoken to with raw
// sockets, for what only the network shows: keep-alive, limits on headers and
// bodies, timeouts for slow or truncated requests, malformed HTTP, metrics of
// what was served, and a graceful stop.

#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/server.hpp"
#include "server/service.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <thread>

namespace t = hotref::test;
namespace srv = hotref::server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Running {
    t::TempDir tmp;
    std::unique_ptr<srv::Catalog> catalog;
    srv::Metrics metrics;
    std::unique_ptr<srv::Service> service;
    std::unique_ptr<srv::Server> server;
    std::thread thread;
    unsigned short port = 0;

    std::string analyst;

    explicit Running(std::size_t body_limit = 1024) {
        const auto path = tmp.store();
        {
            hotref::store::Store create{path, true};
            analyst = srv::create_token(create, "analyst", srv::Role::analyst);
        }
        srv::CatalogOptions co;
        co.store_path = path;
        co.quiet = true;
        catalog = std::make_unique<srv::Catalog>(co, 200);
        catalog->start();
        srv::ServiceOptions so;
        so.store_path = path;
        so.anonymous = true;
        service = std::make_unique<srv::Service>(so, *catalog, metrics);
        srv::ServerOptions opt;
        opt.port = 0;
        opt.threads = 2;
        opt.header_limit = 4096;
        opt.body_limit = body_limit;
        opt.read_timeout = std::chrono::milliseconds(400);
        opt.idle_timeout = std::chrono::milliseconds(600);
        opt.shutdown_grace = std::chrono::milliseconds(3000);
        opt.access_log = tmp.file("access.log");
        opt.handle_signals = false;
        server = std::make_unique<srv::Server>(opt, *service, metrics);
        server->listen();
        port = server->port();
        thread = std::thread([this] { server->run(); });
    }
    ~Running() {
        server->stop();
        if (thread.joinable()) {
            thread.join();
        }
        catalog->stop();
    }
};

struct Client {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    explicit Client(unsigned short port) { socket.connect({asio::ip::make_address("127.0.0.1"), port}); }
    void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
    /// Reads one response; throws on a closed connection.
    http::response<http::string_body> read() {
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        return res;
    }
    /// True when the server has closed the connection (reads end of stream).
    bool closed() {
        char c;
        boost::system::error_code ec;
        socket.read_some(asio::buffer(&c, 1), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }
};

std::string get_request(const std::string& target, bool keep_alive = true) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (keep_alive ? "" : "Connection: close\r\n") + "\r\n";
}

} // namespace

TEST_CASE("server: keep-alive, limits, timeouts and malformed HTTP over a real socket") {
    Running r;
    {
        // Three requests on one connection.
        Client c{r.port};
        for (int i = 0; i < 3; ++i) {
            c.send(get_request("/healthz"));
            const auto res = c.read();
            CHECK(res.result_int() == 200);
            CHECK(res.keep_alive());
        }
        c.send(get_request("/healthz", false));
        CHECK(c.read().result_int() == 200);
        CHECK(c.closed());
    }
    {
        // Headers over the limit: 431, then the connection is closed.
        Client c{r.port};
        c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(8000, 'a') + "\r\n\r\n");
        CHECK(c.read().result_int() == 431);
        CHECK(c.closed());
    }
    {
        // A body over the limit: 413 without reading it all.
        Client c{r.port};
        c.send("POST /v1/feeds?name=a.csv HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 5000\r\n\r\n" +
               std::string(2000, 'a'));
        CHECK(c.read().result_int() == 413);
    }
    {
        // A truncated body: the client promises 100 bytes and sends 10, then waits: 408 after the read timeout.
        Client c{r.port};
        const auto start = std::chrono::steady_clock::now();
        c.send("POST /v1/referrals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
               "{\"referen");
        CHECK(c.read().result_int() == 408);
        const auto waited = std::chrono::steady_clock::now() - start;
        CHECK(waited >= std::chrono::milliseconds(350));
        CHECK(waited < std::chrono::milliseconds(3000));
    }
    {
        // Expect: 100-continue (curl sends it before bodies over 1 MB): told to go on at once.
        Client c{r.port};
        c.send("POST /v1/referrals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
               "Expect: 100-continue\r\n\r\n");
        asio::streambuf interim;
        asio::read_until(c.socket, interim, "\r\n\r\n");
        const std::string head{asio::buffers_begin(interim.data()), asio::buffers_end(interim.data())};
        CHECK(head.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
        c.send("{}");
        CHECK(c.read().result_int() == 401); // then answered as usual (no token here)
    }
    {
        // Not HTTP at all: 400.
        Client c{r.port};
        c.send("HELLO THERE\r\n\r\n");
        CHECK(c.read().result_int() == 400);
    }
    {
        // A client that connects and says nothing is let go after the timeout: it cannot hold a worker.
        Client idle{r.port};
        Client other{r.port};
        other.send(get_request("/healthz"));
        CHECK(other.read().result_int() == 200); // served while the idle one waits
        const auto start = std::chrono::steady_clock::now();
        CHECK(idle.closed());
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(3000));
    }
    {
        // HEAD: the headers of the GET, no body.
        Client c{r.port};
        c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        http::response_parser<http::empty_body> p;
        p.skip(true);
        beast::flat_buffer buffer;
        http::read(c.socket, buffer, p);
        CHECK(p.get().result_int() == 200);
        CHECK(p.get()[http::field::content_length] == "15");
    }
    // What was served shows in the metrics and the access log.
    Client m{r.port};
    m.send(get_request("/metrics"));
    const auto metrics = m.read();
    CHECK(metrics.body().find("hotref_http_requests_total{route=\"/healthz\",status=\"2xx\"} ") != std::string::npos);
    CHECK(metrics.body().find("hotref_http_requests_total{route=\"other\",status=\"4xx\"} 4") != std::string::npos);
    CHECK(metrics.body().find("hotref_timeouts_total ") != std::string::npos);
    const auto log = t::read_file(r.tmp.file("access.log"));
    CHECK(log.find("\"GET /healthz\" 200 15 ") != std::string::npos);
    CHECK(log.find(" 413 ") != std::string::npos);
}

TEST_CASE("server: a graceful stop closes idle connections and returns") {
    auto r = std::make_unique<Running>();
    Client idle{r->port};
    idle.send(get_request("/healthz"));
    CHECK(idle.read().result_int() == 200); // now idle, kept alive
    const auto start = std::chrono::steady_clock::now();
    r->server->stop();
    r->thread.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));
    CHECK(idle.closed());
    // New connections are refused once stopped.
    CHECK_THROWS(Client{r->port});
}

TEST_CASE("server: a graceful stop lets the request in flight finish") {
    Running r{16 * 1024 * 1024};
    // A real month of Derbyshire (gzip, 380 kB): its ingest takes far longer than the 20 ms below.
    const auto feed = t::read_file(t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz"));
    Client c{r.port};
    c.send("POST /v1/feeds?name=2025-01-derbyshire-street.csv.gz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           r.analyst + "\r\nContent-Type: application/gzip\r\nContent-Length: " + std::to_string(feed.size()) +
           "\r\n\r\n" + feed);
    // Stop once the request is being handled (not after a fixed sleep: on a loaded machine the
    // server may not have read it yet, and an unread request is rightly dropped by a stop).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (r.metrics.in_flight() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(r.metrics.in_flight() == 1);
    r.server->stop();
    const auto res = c.read();
    CHECK(res.result_int() == 200);
    CHECK_FALSE(res.keep_alive()); // told the connection ends
    CHECK(res.body().find("\"status\":\"stored\"") != std::string::npos);
    r.thread.join();
    CHECK(c.closed());
}
