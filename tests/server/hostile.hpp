#pragma once
// Shared by the hostile-HTTP tests: a real server on a loopback port with the
// limits a test sets, clients that can speak from another loopback address
// (127.0.0.2, ... are all loopback on Linux), and a small store with a run.

#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/server.hpp"
#include "server/service.hpp"
#include "store/store.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <functional>
#include <thread>

namespace hotref::test::hostile {

namespace srv = hotref::server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// January 2025 of Derbyshire and a Gi* run on it (1 km cells): collections to read, quickly.
inline void small_run_store(const std::string& path) {
    store::Store store{path, true};
    const auto area = geo::StudyArea::from_file(geodata("derbyshire_force_area.gpkg"), "force_area");
    ingest::IngestOptions io;
    io.area = &area;
    ingest::Ingester ingester{store, std::move(io)};
    for (const auto& f :
         ingest::plan_inputs({geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz")}, false).files) {
        REQUIRE(ingester.ingest(f).status == "stored");
    }
    auto hs = force_area_gistar(1000);
    hs.from = "2025-01";
    hs.to = "2025-01";
    hotspot::run_hotspots(store, hs);
}

struct Served {
    TempDir tmp;
    std::string path = tmp.store();
    std::unique_ptr<srv::Catalog> catalog;
    srv::Metrics metrics;
    std::unique_ptr<srv::Service> service;
    std::unique_ptr<srv::Server> server;
    std::thread thread;
    unsigned short port = 0;
    std::string analyst, admin;

    using Configure = std::function<void(srv::ServiceOptions&, srv::ServerOptions&)>;
    explicit Served(const Configure& configure = {}, bool with_run = false) {
        if (with_run) {
            small_run_store(path);
        }
        {
            store::Store create{path, true};
            analyst = srv::create_token(create, "analyst", srv::Role::analyst);
            admin = srv::create_token(create, "admin", srv::Role::admin);
        }
        srv::CatalogOptions co;
        co.store_path = path;
        co.quiet = true;
        co.tiles_max_zoom = 10;
        catalog = std::make_unique<srv::Catalog>(co, 200);
        catalog->start();
        srv::ServiceOptions so;
        so.store_path = path;
        so.anonymous = true;
        srv::ServerOptions opt;
        opt.port = 0;
        opt.threads = 4;
        opt.read_timeout = std::chrono::milliseconds(3000);
        opt.idle_timeout = std::chrono::milliseconds(3000);
        opt.shutdown_grace = std::chrono::milliseconds(3000);
        opt.access_log = "";
        opt.body_limit = 256 * 1024 * 1024;
        opt.handle_signals = false;
        if (configure) {
            configure(so, opt);
        }
        service = std::make_unique<srv::Service>(so, *catalog, metrics);
        server = std::make_unique<srv::Server>(opt, *service, metrics);
        server->listen();
        port = server->port();
        thread = std::thread([this] { server->run(); });
        for (int i = 0; i < 300 && !catalog->current(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    /// What `hotref serve` does on SIGTERM: stop the server, then the writer.
    void stop() {
        server->stop();
        if (thread.joinable()) {
            thread.join();
        }
        service->stop_jobs();
    }
    ~Served() {
        stop();
        catalog->stop();
    }
};

struct Client {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    /// Connects to 127.0.0.1:`port` from `from` (a loopback address).
    explicit Client(unsigned short port, const std::string& from = "127.0.0.1") {
        socket.open(tcp::v4());
        socket.bind({asio::ip::make_address(from), 0});
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
    http::response<http::string_body> read() {
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(256 * 1024 * 1024);
        http::read(socket, buffer, parser);
        return parser.release();
    }
    bool closed() {
        char c;
        boost::system::error_code ec;
        while (true) {
            socket.read_some(asio::buffer(&c, 1), ec);
            if (ec) {
                return ec == asio::error::eof || ec == asio::error::connection_reset;
            }
        }
    }
};

inline std::string request(const std::string& method, const std::string& target, const std::string& token = "",
                           const std::string& body = "", const std::string& type = "") {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) {
        r += "Authorization: Bearer " + token + "\r\n";
    }
    if (!type.empty()) {
        r += "Content-Type: " + type + "\r\n";
    }
    if (!body.empty() || method == "POST") {
        r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return r + "\r\n" + body;
}

/// One request on a new connection from `from`; the response.
inline http::response<http::string_body> fetch(unsigned short port, const std::string& bytes,
                                               const std::string& from = "127.0.0.1") {
    Client c{port, from};
    c.send(bytes);
    return c.read();
}

inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace hotref::test::hostile
