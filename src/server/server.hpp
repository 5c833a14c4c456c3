#pragma once
// The network side of `hotref serve`: Boost.Beast HTTP/1.1 on Boost.Asio with
// keep-alive, a pool of threads running one io_context, a strand per
// connection, limits on header and body sizes, read/idle/write timeouts,
// optional TLS (OpenSSL), an access log, and graceful shutdown on SIGTERM or
// SIGINT that finishes the requests in flight.

#include "server/metrics.hpp"
#include "server/service.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace hotref::server {

struct ServerOptions {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;           // 0: any free port (see Server::port())
    int threads = 4;
    std::size_t header_limit = 16 * 1024; // bytes of request line and headers
    std::size_t body_limit = 64 * 1024 * 1024;
    std::chrono::milliseconds read_timeout{15000};  // to read a request once it has started
    std::chrono::milliseconds idle_timeout{30000};  // a kept-alive connection with no request
    std::chrono::milliseconds write_timeout{30000};
    std::chrono::milliseconds shutdown_grace{20000}; // in-flight requests get this long after SIGTERM
    int max_connections = 2048;
    /// Connections at once from one client address; more are refused (a short 503, then closed),
    /// so that one client cannot take every slot (slowloris). At least 1.
    int max_connections_per_client = 64;
    std::string tls_cert;                 // PEM certificate chain; with tls_key: HTTPS
    std::string tls_key;
    std::string access_log = "-";         // "-": stdout; "": none; else a file (appended)
    bool handle_signals = true;
};

class Server {
public:
    Server(ServerOptions options, Service& service, Metrics& metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and listens (throws Error when the address is taken, ...).
    void listen();
    /// The port listened on (after listen()).
    [[nodiscard]] unsigned short port() const noexcept;
    /// Serves until stop() or a signal; returns when every connection is closed.
    void run();
    /// Graceful: stop accepting, close idle connections, let in-flight requests finish.
    void stop();

    class Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

} // namespace hotref::server
