#pragma once
// Internal to the service: one request being answered (Service::Call) and the
// helpers every handler file shares. Not part of the library's interface.

#include "server/service.hpp"

#include "store/store.hpp"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>

namespace hotref::server {

using json = nlohmann::ordered_json;
namespace pb = google::protobuf;

inline constexpr const char* crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
inline constexpr const char* geojson_type = "application/geo+json";
inline constexpr const char* protobuf_type = "application/x-protobuf";
inline constexpr const char* mvt_type = "application/vnd.mapbox-vector-tile";

/// One store connection per worker thread (SQLite connections are not shared
/// between threads; WAL lets every reader work while a writer writes).
store::Store& thread_store(const std::string& path);
/// Closes this thread's connection to `path` (the next thread_store opens a fresh one).
void drop_thread_store(const std::string& path);

/// One api_audit row: who did what, with what result.
struct AuditEntry {
    std::string token_name, role, method, target;
    int status = 0;
    std::string summary;
};
void write_audit(store::Store& store, const AuditEntry& entry);

std::string lower(std::string_view s);
inline bool header_has(std::string_view value, std::string_view needle) {
    return value.find(needle) != std::string_view::npos;
}
json link(const std::string& href, const std::string& rel, const std::string& type, const std::string& title = "");
std::string number(double v);

struct Service::Call {
    const Request& req;
    Exchange& ex;
    Target target;
    std::optional<Principal> principal;
    bool token_invalid = false;
    bool protobuf = false;   // answer /v1 and errors in protobuf
    std::string base;        // links start with this
    std::string remote;      // the client's address ("-": unknown)

    void require(Permission permission, bool anonymous_allowed) const {
        if (token_invalid) {
            throw HttpError{401, "unauthorized",
                            "the bearer token is not valid (unknown, mistyped or revoked); ask an admin for a new one "
                            "(hotref token create)"};
        }
        if (!principal) {
            if (permission == Permission::read_published && anonymous_allowed) {
                return;
            }
            throw HttpError{401, "unauthorized",
                            "this needs a bearer token: send 'Authorization: Bearer TOKEN' (an admin makes one with "
                            "'hotref token create --role ROLE --name NAME')"};
        }
        if (!allowed(principal->role, permission)) {
            throw HttpError{403, "forbidden",
                            std::string{"the role "} + role_name(principal->role) + " may not " +
                                permission_name(permission)};
        }
    }

    void send(int status, std::string body, const std::string& type) {
        ex.response.result(static_cast<unsigned>(status));
        ex.response.set(http::field::content_type, type);
        ex.response.body() = std::move(body);
    }

    void send_json(int status, const json& body, const std::string& type = "application/json") {
        send(status, body.dump(), type);
    }

    void send_message(int status, const pb::Message& message) {
        if (protobuf) {
            std::string bytes;
            message.SerializeToString(&bytes);
            send(status, std::move(bytes), protobuf_type);
            return;
        }
        std::string text;
        pb::util::JsonPrintOptions opts;
        opts.preserve_proto_field_names = true;
        (void)pb::util::MessageToJsonString(message, &text, opts);
        send(status, std::move(text), "application/json");
    }

    /// Parses the body into `message` by its Content-Type.
    void parse_body(pb::Message& message) const {
        const auto type = lower(std::string{req[http::field::content_type]});
        if (header_has(type, "application/x-protobuf") || header_has(type, "application/protobuf")) {
            if (!message.ParseFromString(req.body())) {
                throw bad_request("the body is not a valid " + message.GetTypeName() +
                                  " protobuf message (truncated or of another type)");
            }
            return;
        }
        if (header_has(type, "application/json")) {
            pb::util::JsonParseOptions opts;
            opts.ignore_unknown_fields = false;
            const auto status = pb::util::JsonStringToMessage(req.body(), &message, opts);
            if (!status.ok()) {
                throw bad_request("the body is not valid JSON for " + message.GetTypeName(),
                                  {std::string{status.message()}});
            }
            return;
        }
        throw HttpError{415, "unsupported_media_type",
                        "send the body as application/json or application/x-protobuf (got '" +
                            std::string{req[http::field::content_type]} + "')"};
    }

    [[nodiscard]] std::string principal_name() const { return principal ? principal->name : "anonymous"; }
};

} // namespace hotref::server
