#pragma once
// Internal to src/store: the values of PostgreSQL's COPY text format (one row per line,
// tab-separated, \N for NULL), as the ingest and `hotref store copy` write them, and the
// Crime ID encoding SpatiaLite stores use.

#include "util/sha256.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace hotref::store {

/// Text with backslash, tab, newline and carriage return escaped; an empty view is NULL
/// when `empty_is_null`.
inline void copy_text(std::string& out, std::string_view v, bool empty_is_null) {
    if (empty_is_null && v.empty()) {
        out += "\\N";
        return;
    }
    for (const char c : v) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
}

inline void copy_int(std::string& out, std::int64_t v, bool zero_is_null) {
    if (zero_is_null && v == 0) {
        out += "\\N";
        return;
    }
    out += std::to_string(v);
}

/// The shortest decimal text that reads back as exactly `v` (PostgreSQL's float8 input
/// rounds correctly).
inline void copy_double(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "\\N"; // as SQLite stores a NaN, and Statement::bind sends one
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "Infinity" : "-Infinity";
        return;
    }
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

/// bytea in COPY text: \\x then hex (the backslash itself escaped).
inline void copy_bytea(std::string& out, std::string_view bytes) {
    out += "\\\\x";
    out += hex(bytes);
}

/// POINT(x y) in SRID 27700 as hex EWKB (little-endian), which a geometry column reads
/// exactly (a decimal WKT would round).
inline void copy_point_ewkb(std::string& out, double x, double y) {
    static_assert(std::endian::native == std::endian::little, "EWKB is written little-endian");
    unsigned char bytes[25] = {0x01, 0x01, 0x00, 0x00, 0x20, 0x34, 0x6c, 0x00, 0x00};
    std::memcpy(bytes + 9, &x, 8);
    std::memcpy(bytes + 17, &y, 8);
    out += hex(std::string_view{reinterpret_cast<const char*>(bytes), sizeof bytes});
}

/// ISO/OGC WKB (either byte order) as hex EWKB with `srid` set on the outer geometry:
/// the flag 0x20000000 on the type and the SRID after it. False when `wkb` is too short.
inline bool copy_wkb_as_ewkb(std::string& out, std::string_view wkb, std::uint32_t srid) {
    if (wkb.size() < 5 || (wkb[0] != 0 && wkb[0] != 1)) {
        return false;
    }
    const bool little = wkb[0] == 1;
    unsigned char type[4];
    std::memcpy(type, wkb.data() + 1, 4);
    type[little ? 3 : 0] |= 0x20;
    unsigned char id[4];
    for (int i = 0; i < 4; ++i) {
        const auto byte = static_cast<unsigned char>((srid >> (8 * i)) & 0xff);
        id[little ? i : 3 - i] = byte;
    }
    std::string ewkb;
    ewkb.reserve(wkb.size() + 4);
    ewkb += wkb[0];
    ewkb.append(reinterpret_cast<const char*>(type), 4);
    ewkb.append(reinterpret_cast<const char*>(id), 4);
    ewkb.append(wkb.substr(5));
    out += hex(ewkb);
    return true;
}

/// Rows of COPY text built one field at a time: `rows.integer(id).real(x).text(name).end()`.
class CopyRows {
public:
    CopyRows& integer(std::int64_t v, bool zero_is_null = false) {
        separate();
        copy_int(m_data, v, zero_is_null);
        return *this;
    }
    CopyRows& real(double v) {
        separate();
        copy_double(m_data, v);
        return *this;
    }
    CopyRows& real(const std::optional<double>& v) {
        separate();
        if (v) {
            copy_double(m_data, *v);
        } else {
            m_data += "\\N";
        }
        return *this;
    }
    CopyRows& text(std::string_view v, bool empty_is_null = false) {
        separate();
        copy_text(m_data, v, empty_is_null);
        return *this;
    }
    CopyRows& bytea(std::string_view bytes) {
        separate();
        copy_bytea(m_data, bytes);
        return *this;
    }
    void end() {
        m_data += '\n';
        m_first = true;
        ++m_rows;
    }
    void reserve(std::size_t bytes) { m_data.reserve(bytes); }
    void clear() {
        m_data.clear();
        m_first = true;
        m_rows = 0;
    }
    [[nodiscard]] std::size_t rows() const noexcept { return m_rows; }
    [[nodiscard]] const std::string& data() const noexcept { return m_data; }

private:
    void separate() {
        if (!m_first) {
            m_data += '\t';
        }
        m_first = false;
    }

    std::string m_data;
    bool m_first = true;
    std::size_t m_rows = 0;
};

/// police.uk Crime IDs are 64 lower-case hex digits: a SpatiaLite store keeps them as their
/// 32 bytes (false, and `out` unspecified, for anything else, which stays text).
bool crime_id_bytes(const std::string& id, unsigned char (&out)[32]) noexcept;

} // namespace hotref::store
