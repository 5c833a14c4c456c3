#include "server/server.hpp"

#include "core/error.hpp"
#include "store/store.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hotref::server {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

} // namespace

class Server::Impl {
public:
    Impl(ServerOptions server_options, Service& the_service, Metrics& the_metrics)
        : options(std::move(server_options)), service(the_service), metrics(the_metrics),
          ioc(std::max(1, options.threads)),
          acceptor(ioc), signals(ioc), ssl(asio::ssl::context::tls_server) {}

    // A connection, plain or TLS.
    template <class Stream>
    class Session : public std::enable_shared_from_this<Session<Stream>> {
    public:
        template <class... Args>
        Session(Impl& server, std::string remote, tcp::socket&& socket, Args&&... args)
            : m_server(server), m_stream(std::move(socket), std::forward<Args>(args)...), m_remote(std::move(remote)) {}

        void start() {
            m_server.metrics.connection_opened();
            m_server.session_opened();
            asio::dispatch(m_stream.get_executor(), [self = this->shared_from_this()] { self->begin(); });
        }

        ~Session() {
            m_server.metrics.connection_closed();
            m_server.session_closed(m_remote);
        }

        // Called on shutdown (from any thread): close at once when idle.
        void close_if_idle() {
            asio::post(m_stream.get_executor(), [self = this->shared_from_this()] {
                if (!self->m_busy) {
                    beast::error_code ec;
                    beast::get_lowest_layer(self->m_stream).socket().shutdown(tcp::socket::shutdown_both, ec);
                    beast::get_lowest_layer(self->m_stream).close();
                }
            });
        }

    private:
        void begin() {
            if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
                read_header();
            } else {
                beast::get_lowest_layer(m_stream).expires_after(m_server.options.read_timeout);
                m_stream.async_handshake(asio::ssl::stream_base::server,
                                         [self = this->shared_from_this()](beast::error_code ec) {
                                             if (ec) {
                                                 self->fail_quietly(ec);
                                                 return;
                                             }
                                             self->read_header();
                                         });
            }
        }

        void read_header() {
            if (m_server.stopping) {
                close();
                return;
            }
            m_parser.emplace();
            m_parser->header_limit(static_cast<std::uint32_t>(m_server.options.header_limit));
            m_parser->body_limit(m_server.options.body_limit);
            m_busy = false;
            beast::get_lowest_layer(m_stream).expires_after(m_first ? m_server.options.read_timeout
                                                                    : m_server.options.idle_timeout);
            http::async_read_header(m_stream, m_buffer, *m_parser,
                                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                        self->on_header(ec);
                                    });
        }

        void on_header(beast::error_code ec) {
            m_first = false;
            if (ec) {
                on_read_error(ec, false);
                return;
            }
            m_busy = true;
            m_started = Clock::now();
            if (!framing_ok()) {
                // RFC 9112 6.3: a request whose body length cannot be known for certain is
                // refused and the connection closed, so that no proxy in front can read it otherwise.
                reply_error(400, "bad_request",
                            "Transfer-Encoding must be exactly 'chunked' (once), without Content-Length");
                return;
            }
            // curl and other clients ask before sending a large body; answer at once
            // (else they wait a second), unless the body is already too large.
            const auto& header = m_parser->get();
            if (beast::iequals(header[http::field::expect], "100-continue") && !m_parser->is_done()) {
                const auto length = m_parser->content_length();
                if (!length || *length <= m_server.options.body_limit) {
                    m_continue = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
                    beast::get_lowest_layer(m_stream).expires_after(m_server.options.write_timeout);
                    http::async_write(m_stream, *m_continue,
                                      [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                                          if (e) {
                                              self->fail_quietly(e);
                                              return;
                                          }
                                          self->read_body();
                                      });
                    return;
                }
            }
            read_body();
        }

        // Beast refuses Content-Length with chunked, and a second Content-Length; a Transfer-Encoding
        // whose last coding is not chunked (or several of them) it would read as having no body.
        [[nodiscard]] bool framing_ok() const {
            const auto& header = m_parser->get();
            const auto codings = header.count(http::field::transfer_encoding);
            if (codings == 0) {
                return true;
            }
            return codings == 1 && beast::iequals(header[http::field::transfer_encoding], "chunked") &&
                   m_parser->chunked() && !m_parser->content_length();
        }

        void read_body() {
            // The body gets its own timer, which cancels the read rather than closing the
            // socket (as the stream's own timeout would), so that a 408 can still be sent.
            beast::get_lowest_layer(m_stream).expires_never();
            m_timed_out = false;
            m_timer.expires_after(m_server.options.read_timeout);
            m_timer.async_wait([self = this->shared_from_this()](beast::error_code e) {
                if (!e) {
                    self->m_timed_out = true;
                    beast::error_code ignored;
                    beast::get_lowest_layer(self->m_stream).socket().cancel(ignored);
                }
            });
            http::async_read(m_stream, m_buffer, *m_parser,
                             [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                                 self->m_timer.cancel();
                                 if (e == asio::error::operation_aborted && self->m_timed_out) {
                                     e = beast::error::timeout;
                                 }
                                 self->on_body(e);
                             });
        }

        void on_read_error(beast::error_code ec, bool body) {
            if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
                ec == asio::error::operation_aborted || ec == asio::ssl::error::stream_truncated) {
                close();
                return;
            }
            if (ec == beast::error::timeout) {
                m_server.metrics.timeout();
                if (body) {
                    reply_error(408, "request_timeout",
                                "the request was not received in time (a truncated body, or a client too slow)");
                } else {
                    close();
                }
                return;
            }
            if (ec == http::error::body_limit) {
                reply_error(413, "payload_too_large",
                            "the body is larger than " + std::to_string(m_server.options.body_limit) +
                                " bytes (hotref serve --max-body)");
                return;
            }
            if (ec == http::error::header_limit) {
                reply_error(431, "header_too_large",
                            "the request line and headers are larger than " +
                                std::to_string(m_server.options.header_limit) + " bytes");
                return;
            }
            reply_error(400, "bad_request", "the request is not valid HTTP/1.1 (" + ec.message() + ")");
        }

        void on_body(beast::error_code ec) {
            if (ec) {
                on_read_error(ec, true);
                return;
            }
            m_server.metrics.in_flight(1);
            const Request& req = m_parser->get();
            Exchange ex = m_server.service.handle(req, m_remote);
            m_server.metrics.in_flight(-1);
            if (m_server.stopping) {
                ex.response.keep_alive(false);
            }
            if (req.method() == http::verb::head) {
                // Content-Length stays that of the GET; no body is sent.
                const auto length = ex.response.body().size();
                ex.response.body().clear();
                ex.response.content_length(length);
            }
            const double seconds = std::chrono::duration<double>(Clock::now() - m_started).count();
            m_server.metrics.record(ex.route, ex.response.result_int(), seconds, ex.response.body().size());
            m_server.log(m_remote, ex.principal, req, ex.response.result_int(), ex.response.body().size(), seconds);
            send(std::move(ex.response), req.method() == http::verb::head);
        }

        void reply_error(int status, const std::string& code, const std::string& message) {
            // The request could not be read: answer once in JSON and close.
            Response res{static_cast<http::status>(status), 11};
            res.set(http::field::server, "hotref/" HOTREF_VERSION);
            res.set(http::field::content_type, "application/json");
            res.set(http::field::connection, "close");
            std::string escaped;
            for (const char c : message) {
                if (c == '"' || c == '\\') {
                    escaped.push_back('\\');
                }
                escaped.push_back(c);
            }
            res.body() = "{\"status\":" + std::to_string(status) + ",\"code\":\"" + code + "\",\"message\":\"" +
                         escaped + "\"}";
            res.keep_alive(false);
            res.prepare_payload();
            m_server.metrics.record(Route::other, status, 0, res.body().size());
            Request dummy;
            dummy.method_string("-");
            dummy.target("-");
            m_server.log(m_remote, "-", dummy, status, res.body().size(), 0);
            send(std::move(res), false);
        }

        void send(Response&& res, bool head) {
            m_busy = true;
            m_response = std::move(res);
            beast::get_lowest_layer(m_stream).expires_after(m_server.options.write_timeout);
            auto on_write = [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    self->fail_quietly(ec);
                    return;
                }
                if (!self->m_response.keep_alive()) {
                    self->close();
                    return;
                }
                self->read_header();
            };
            if (head) {
                m_serializer = std::make_shared<http::response_serializer<http::string_body>>(m_response);
                http::async_write_header(m_stream, *m_serializer, std::move(on_write));
            } else {
                http::async_write(m_stream, m_response, std::move(on_write));
            }
        }

        void fail_quietly(beast::error_code ec) {
            if (ec == beast::error::timeout) {
                m_server.metrics.timeout();
            }
            close();
        }

        void close() {
            m_busy = false;
            beast::error_code ec;
            if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
                m_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
                m_stream.close();
            } else {
                beast::get_lowest_layer(m_stream).expires_after(std::chrono::seconds(2));
                m_stream.async_shutdown([self = this->shared_from_this()](beast::error_code) {
                    beast::get_lowest_layer(self->m_stream).close();
                });
            }
        }

        Impl& m_server;
        Stream m_stream;
        asio::steady_timer m_timer{m_stream.get_executor()};
        bool m_timed_out = false;
        beast::flat_buffer m_buffer;
        std::optional<http::request_parser<http::string_body>> m_parser;
        std::shared_ptr<http::response_serializer<http::string_body>> m_serializer;
        Response m_response;
        std::shared_ptr<http::response<http::empty_body>> m_continue;
        std::string m_remote;
        Clock::time_point m_started;
        bool m_busy = false;
        bool m_first = true;
    };

    using PlainSession = Session<beast::tcp_stream>;
    using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

    void accept() {
        acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec == asio::error::operation_aborted || stopping) {
                    return;
                }
                std::cerr << "hotref serve: accept: " << ec.message() << "\n";
                accept();
                return;
            }
            beast::error_code e;
            const auto ep = socket.remote_endpoint(e);
            std::string remote = e ? "-" : ep.address().to_string();
            if (!admit(remote)) {
                refuse(socket); // over a limit: refuse rather than starve everyone
                accept();
                return;
            }
            if (tls) {
                track(std::make_shared<TlsSession>(*this, std::move(remote), std::move(socket), ssl));
            } else {
                track(std::make_shared<PlainSession>(*this, std::move(remote), std::move(socket)));
            }
            accept();
        });
    }

    // Open sessions, weakly: shutdown closes the idle ones; dead entries are pruned now and then.
    template <class S>
    void track(std::shared_ptr<S> session) {
        {
            std::lock_guard lock{sessions_mutex};
            if (++accepted % 256 == 0) {
                sessions.remove_if([](const Tracked& t) { return t.alive.expired(); });
            }
            sessions.emplace_back(std::weak_ptr<void>(session), [w = std::weak_ptr<S>(session)] {
                if (auto p = w.lock()) {
                    p->close_if_idle();
                }
            });
        }
        session->start();
    }

    // Counts the connection in (true) when under both the overall and the per-client limit.
    bool admit(const std::string& remote) {
        std::lock_guard lock{clients_mutex};
        if (live >= options.max_connections) {
            return false;
        }
        auto& n = clients[remote];
        if (n >= options.max_connections_per_client) {
            return false;
        }
        ++n;
        ++live; // counted here, not when the session starts, so that a burst cannot overshoot
        return true;
    }

    // A refused connection gets a short answer if the socket takes it at once, then is closed.
    void refuse(tcp::socket& socket) {
        metrics.connection_refused();
        static constexpr std::string_view busy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
            "Connection: close\r\nContent-Length: 89\r\n\r\n"
            "{\"status\":503,\"code\":\"too_many_connections\",\"message\":\"too many connections; try later\"}\n";
        beast::error_code ignored;
        socket.non_blocking(true, ignored);
        socket.write_some(asio::buffer(busy.data(), busy.size()), ignored);
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    void session_opened() noexcept {}
    void session_closed(const std::string& remote) {
        {
            std::lock_guard lock{clients_mutex};
            if (const auto it = clients.find(remote); it != clients.end() && --it->second <= 0) {
                clients.erase(it);
            }
        }
        if (--live == 0 && stopping) {
            asio::post(ioc, [this] {
                if (grace) {
                    grace->cancel();
                }
            });
        }
    }

    void shutdown() {
        if (stopping.exchange(true)) {
            return;
        }
        asio::post(ioc, [this] {
            beast::error_code ec;
            acceptor.close(ec);
            signals.cancel(ec);
            std::list<Tracked> all;
            {
                std::lock_guard lock{sessions_mutex};
                all.swap(sessions);
            }
            for (auto& t : all) {
                t.close();
            }
            if (live == 0) {
                return; // nothing in flight: run() returns now
            }
            // Requests still running after the grace period are cut off.
            grace = std::make_unique<asio::steady_timer>(ioc, options.shutdown_grace);
            grace->async_wait([this](beast::error_code e) {
                if (!e) {
                    std::cerr << "hotref serve: requests still running after the grace period; stopping\n";
                    ioc.stop();
                }
            });
        });
    }

    void log(const std::string& remote, const std::string& who, const Request& req, unsigned status,
             std::size_t bytes, double seconds) {
        if (access == nullptr) {
            return;
        }
        const std::string when = store::utc_now();
        const auto method = req.method_string();
        const auto target = req.target();
        std::lock_guard lock{log_mutex};
        std::fprintf(access, "%s %s %s \"%.*s %.*s\" %u %zu %.2fms\n", when.c_str(), remote.c_str(), who.c_str(),
                     static_cast<int>(method.size()), method.data(),
                     static_cast<int>(std::min<std::size_t>(target.size(), 2000)), target.data(), status, bytes,
                     seconds * 1000.0);
        std::fflush(access);
    }

    ServerOptions options;
    Service& service;
    Metrics& metrics;
    asio::io_context ioc;
    tcp::acceptor acceptor;
    asio::signal_set signals;
    asio::ssl::context ssl;
    bool tls = false;
    std::atomic<bool> stopping{false};
    struct Tracked {
        Tracked(std::weak_ptr<void> w, std::function<void()> c) : alive(std::move(w)), close(std::move(c)) {}
        std::weak_ptr<void> alive;
        std::function<void()> close;
    };
    std::mutex sessions_mutex;
    std::list<Tracked> sessions;
    std::uint64_t accepted = 0;
    std::atomic<std::int64_t> live{0};
    std::mutex clients_mutex;
    std::unordered_map<std::string, int> clients; // open connections by client address
    std::unique_ptr<asio::steady_timer> grace;
    std::FILE* access = nullptr;
    bool own_access = false;
    std::mutex log_mutex;
};

Server::Server(ServerOptions options, Service& service, Metrics& metrics)
    : m_impl(std::make_unique<Impl>(std::move(options), service, metrics)) {}

Server::~Server() {
    if (m_impl->own_access && m_impl->access != nullptr) {
        std::fclose(m_impl->access);
    }
}

void Server::listen() {
    auto& s = *m_impl;
    if (!s.options.tls_cert.empty() || !s.options.tls_key.empty()) {
        if (s.options.tls_cert.empty() || s.options.tls_key.empty()) {
            throw UsageError("TLS needs both --tls-cert and --tls-key");
        }
        try {
            s.ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                              asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                              asio::ssl::context::no_tlsv1_1);
            s.ssl.use_certificate_chain_file(s.options.tls_cert);
            s.ssl.use_private_key_file(s.options.tls_key, asio::ssl::context::pem);
        } catch (const boost::system::system_error& e) {
            throw Error("TLS: cannot use the certificate " + s.options.tls_cert + " and key " + s.options.tls_key +
                        " (" + e.code().message() + "): give PEM files that belong together");
        }
        s.tls = true;
    }
    if (s.options.access_log == "-") {
        s.access = stdout;
    } else if (!s.options.access_log.empty()) {
        s.access = std::fopen(s.options.access_log.c_str(), "a");
        if (s.access == nullptr) {
            throw Error(s.options.access_log + ": cannot open the access log for appending");
        }
        s.own_access = true;
    }
    beast::error_code ec;
    const auto address = asio::ip::make_address(s.options.address, ec);
    if (ec) {
        throw UsageError("--address " + s.options.address + " is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
    }
    const tcp::endpoint endpoint{address, s.options.port};
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        s.acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw Error("cannot listen on " + s.options.address + ":" + std::to_string(s.options.port) + " (" +
                    ec.message() + "); choose another --port");
    }
}

unsigned short Server::port() const noexcept {
    beast::error_code ec;
    return m_impl->acceptor.local_endpoint(ec).port();
}

void Server::run() {
    auto& s = *m_impl;
    if (s.options.handle_signals) {
        s.signals.add(SIGTERM);
        s.signals.add(SIGINT);
        s.signals.async_wait([this](beast::error_code ec, int signal) {
            if (!ec) {
                std::cerr << "hotref serve: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
                          << ": finishing the requests in flight, then stopping\n";
                stop();
            }
        });
    }
    s.accept();
    std::vector<std::thread> pool;
    for (int i = 1; i < std::max(1, s.options.threads); ++i) {
        pool.emplace_back([&s] { s.ioc.run(); });
    }
    s.ioc.run();
    for (auto& t : pool) {
        t.join();
    }
}

void Server::stop() {
    m_impl->shutdown();
}

} // namespace hotref::server
