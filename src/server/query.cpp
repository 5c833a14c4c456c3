#include "server/query.hpp"

#include "core/month.hpp"
#include "core/text.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace hotref::server {

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto pos = text.find(sep, start);
        parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) {
            return parts;
        }
        start = pos + 1;
    }
}

bool all_digits(std::string_view text) noexcept {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool parse_double(std::string_view text, double& out) {
    if (text.empty() || text.size() > 40) {
        return false;
    }
    const std::string s{text};
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && std::isfinite(out);
}

// One end of a datetime parameter: [start, end] of the instant or day it names.
std::optional<TimeInterval> parse_instant(std::string_view text) {
    std::string s{text};
    if (s.size() == 10) {
        const auto d = parse_datetime(s, "%Y-%m-%d");
        if (!d) {
            return std::nullopt;
        }
        const double day = static_cast<double>(d->days_since_epoch()) * 86400.0;
        return TimeInterval{day, day + 86399.999};
    }
    // RFC 3339 date-time: UTC ('Z') or with an offset; fractions of a second allowed.
    if (s.size() < 20) {
        return std::nullopt;
    }
    double offset = 0;
    if (s.back() == 'Z' || s.back() == 'z') {
        s.pop_back();
    } else {
        const std::string tz = s.substr(s.size() - 6);
        if ((tz[0] != '+' && tz[0] != '-') || tz[3] != ':' || !all_digits(tz.substr(1, 2)) ||
            !all_digits(tz.substr(4, 2))) {
            return std::nullopt;
        }
        const int h = std::atoi(tz.substr(1, 2).c_str());
        const int m = std::atoi(tz.substr(4, 2).c_str());
        if (h > 23 || m > 59) {
            return std::nullopt;
        }
        offset = (tz[0] == '+' ? 1 : -1) * (h * 3600.0 + m * 60.0);
        s.resize(s.size() - 6);
    }
    double fraction = 0;
    if (const auto dot = s.find('.'); dot != std::string::npos) {
        // Digits only: "0.5e308" is a number, not a fraction of a second.
        if (dot + 1 >= s.size() || s.size() - dot > 10 || !all_digits(s.substr(dot + 1)) ||
            !parse_double("0" + s.substr(dot), fraction)) {
            return std::nullopt;
        }
        s.resize(dot);
    }
    if (s.size() == 19 && (s[10] == 't')) {
        s[10] = 'T';
    }
    const auto dt = parse_datetime(s, "%Y-%m-%dT%H:%M:%S");
    if (!dt || !dt->has_time) {
        return std::nullopt;
    }
    const double t = static_cast<double>(dt->seconds_since_epoch()) + fraction - offset;
    return TimeInterval{t, t};
}

} // namespace

std::string excerpt(std::string_view text) {
    if (text.size() <= 64) {
        return std::string{text};
    }
    return std::string{text.substr(0, 48)} + "... (" + std::to_string(text.size()) + " characters)";
}

HttpError bad_request(const std::string& message, std::vector<std::string> details) {
    return HttpError{400, "bad_request", message, std::move(details)};
}

std::string percent_decode(std::string_view text, bool query) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
            const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                throw bad_request("malformed percent escape in the URL at '" +
                                  std::string{text.substr(i, std::min<std::size_t>(3, text.size() - i))} +
                                  "': write a '%' as %25");
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && query) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    for (const char c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            throw bad_request("control characters are not allowed in the URL");
        }
    }
    return out;
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
    return out;
}

Target parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/') {
        throw bad_request("the request target must be an absolute path such as /collections");
    }
    if (target.size() > 4096) {
        throw HttpError{414, "uri_too_long", "the URL is longer than 4096 characters"};
    }
    Target t;
    const auto q = target.find('?');
    const auto raw_path = target.substr(0, q);
    t.path = percent_decode(raw_path, false);
    for (const auto seg : split(raw_path, '/')) {
        if (seg.empty()) {
            continue;
        }
        auto decoded = percent_decode(seg, false);
        if (decoded == ".." || decoded == ".") {
            throw bad_request("'.' and '..' are not allowed in the URL path");
        }
        t.segments.push_back(std::move(decoded));
    }
    if (q != std::string_view::npos) {
        for (const auto pair : split(target.substr(q + 1), '&')) {
            if (pair.empty()) {
                continue;
            }
            const auto eq = pair.find('=');
            auto key = percent_decode(pair.substr(0, eq), true);
            auto value = eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
            if (!t.params.emplace(key, std::move(value)).second) {
                throw bad_request("the query parameter '" + key + "' is given more than once");
            }
        }
    }
    return t;
}

BBox parse_bbox(std::string_view text) {
    const auto parts = split(text, ',');
    if (parts.size() != 4 && parts.size() != 6) {
        throw bad_request("bbox must be 4 numbers: minLon,minLat,maxLon,maxLat (WGS84), got '" + excerpt(text) + "'");
    }
    std::vector<double> v;
    for (const auto p : parts) {
        double d = 0;
        if (!parse_double(trim(p), d)) {
            throw bad_request("bbox: '" + excerpt(p) + "' is not a finite number (bbox=minLon,minLat,maxLon,maxLat)");
        }
        v.push_back(d);
    }
    BBox b;
    if (parts.size() == 4) {
        b = {v[0], v[1], v[2], v[3]};
    } else {
        b = {v[0], v[1], v[3], v[4]};
    }
    if (b.min_x < -180 || b.max_x > 180 || b.min_y < -90 || b.max_y > 90) {
        throw bad_request("bbox is in WGS84 longitude/latitude: longitudes within -180..180 and latitudes within "
                          "-90..90, got '" + excerpt(text) + "'");
    }
    if (b.min_y > b.max_y) {
        throw bad_request("bbox: the minimum latitude is above the maximum (minLon,minLat,maxLon,maxLat)");
    }
    if (b.min_x > b.max_x) {
        throw bad_request("bbox: the minimum longitude is above the maximum; boxes across the antimeridian are not "
                          "supported (the data are in Great Britain)");
    }
    return b;
}

TimeInterval parse_datetime_param(std::string_view text) {
    const std::string example = " (an RFC 3339 date or date-time, or an interval such as "
                                "2025-01-01/2025-06-30 or 2025-07-01T00:00:00Z/..)";
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        const auto i = parse_instant(text);
        if (!i) {
            throw bad_request("datetime: '" + excerpt(text) + "' is not a date or date-time" + example);
        }
        return *i;
    }
    const auto a = text.substr(0, slash);
    const auto b = text.substr(slash + 1);
    TimeInterval out;
    const bool open_a = a.empty() || a == "..";
    const bool open_b = b.empty() || b == "..";
    if (open_a && open_b) {
        throw bad_request("datetime: an interval needs at least one end" + example);
    }
    if (!open_a) {
        const auto i = parse_instant(a);
        if (!i) {
            throw bad_request("datetime: '" + excerpt(a) + "' is not a date or date-time" + example);
        }
        out.start = i->start;
    }
    if (!open_b) {
        const auto i = parse_instant(b);
        if (!i) {
            throw bad_request("datetime: '" + excerpt(b) + "' is not a date or date-time" + example);
        }
        out.end = i->end;
    }
    if (out.start > out.end) {
        throw bad_request("datetime: the interval's start is after its end");
    }
    return out;
}

std::int64_t parse_count(std::string_view text, std::string_view name, std::int64_t min, std::int64_t max) {
    if (text.empty() || text.size() > 18) {
        throw bad_request(std::string{name} + " must be an integer from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got '" + excerpt(text) + "'");
    }
    std::int64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            throw bad_request(std::string{name} + " must be an integer from " + std::to_string(min) + " to " +
                              std::to_string(max) + ", got '" + excerpt(text) + "'");
        }
        v = v * 10 + (c - '0');
    }
    if (v < min || v > max) {
        throw bad_request(std::string{name} + " must be from " + std::to_string(min) + " to " + std::to_string(max) +
                          ", got " + std::string{text});
    }
    return v;
}

std::optional<TimeInterval> month_interval(std::string_view from, std::string_view to) {
    const auto a = Month::parse(from);
    const auto b = Month::parse(to);
    if (!a || !b) {
        return std::nullopt;
    }
    const DateTime start{a->year(), a->month(), 1, 0, 0, 0, true};
    const DateTime end{b->year(), b->month(), days_in_month(b->year(), b->month()), 23, 59, 59, true};
    return TimeInterval{static_cast<double>(start.seconds_since_epoch()),
                        static_cast<double>(end.seconds_since_epoch())};
}

std::string iso_utc(double seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace hotref::server
