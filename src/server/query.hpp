#pragma once
// Request parsing, pure and apart from the network: the target's path and
// query, and the OGC API - Features parameters (limit, offset, bbox, datetime).
// Every problem is an HttpError naming the parameter and what is allowed.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hotref::server {

/// An error answered with an HTTP status and a structured body {code, message, details}.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string code, const std::string& message, std::vector<std::string> details = {})
        : std::runtime_error(message), m_status(status), m_code(std::move(code)), m_details(std::move(details)) {}
    [[nodiscard]] int status() const noexcept { return m_status; }
    [[nodiscard]] const std::string& code() const noexcept { return m_code; }
    [[nodiscard]] const std::vector<std::string>& details() const noexcept { return m_details; }

private:
    int m_status;
    std::string m_code;
    std::vector<std::string> m_details;
};

HttpError bad_request(const std::string& message, std::vector<std::string> details = {});

/// A value as an error message quotes it: whole when short, else its start and its length.
std::string excerpt(std::string_view text);

struct Target {
    std::string path;                           // decoded, without the query
    std::vector<std::string> segments;          // path split on '/', empty ones dropped
    std::map<std::string, std::string> params;  // decoded; a repeated parameter is an error
};

/// Parses a request target ("/collections/x/items?limit=10&bbox=..."). Throws
/// HttpError 400 for bad percent escapes, control characters, '..' segments,
/// repeated parameters or a target that is not an absolute path.
Target parse_target(std::string_view target);

/// Percent-decoding; '+' is a space in the query. Throws HttpError 400.
std::string percent_decode(std::string_view text, bool query);
/// Percent-encoding of a query value (RFC 3986 unreserved characters kept).
std::string percent_encode(std::string_view text);

struct BBox {
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    [[nodiscard]] bool intersects(const BBox& o) const noexcept {
        return min_x <= o.max_x && o.min_x <= max_x && min_y <= o.max_y && o.min_y <= max_y;
    }
};

/// OGC bbox: "minLon,minLat,maxLon,maxLat" (or 6 values with heights, which
/// are ignored), WGS84 longitude/latitude (CRS84).
BBox parse_bbox(std::string_view text);

/// A closed interval of seconds since 1970-01-01T00:00:00Z; open ends are infinite.
struct TimeInterval {
    double start = -1e300;
    double end = 1e300;
    [[nodiscard]] bool intersects(const TimeInterval& o) const noexcept { return start <= o.end && o.start <= end; }
};

/// OGC datetime: an instant ("2025-03-14", "2025-03-14T10:00:00Z") or an
/// interval "start/end" with ".." (or empty) for an open end. A date alone
/// covers the whole day.
TimeInterval parse_datetime_param(std::string_view text);

/// A non-negative integer parameter; `name` is used in the message.
std::int64_t parse_count(std::string_view text, std::string_view name, std::int64_t min, std::int64_t max);

/// The interval covered by police.uk months "YYYY-MM" .. "YYYY-MM" (whole months).
std::optional<TimeInterval> month_interval(std::string_view from, std::string_view to);

/// ISO 8601 UTC of seconds since the epoch ("2025-01-01T00:00:00Z").
std::string iso_utc(double seconds);

} // namespace hotref::server
