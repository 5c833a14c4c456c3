#pragma once
// Shared by the libFuzzer harnesses (tests/fuzz, built with HOTREF_FUZZ=ON):
// a byte source that hands out the input in small pieces, a row sink that
// reads every field it is given, and the check that turns a broken promise
// into a crash libFuzzer records.
//
// A harness calls the project's real entry point and catches only the error
// type that entry point documents (InputError, HttpError, ...). Anything else
// - another exception, a crash, a sanitizer report, a failed check() - is a
// finding.

#include "core/csv.hpp"
#include "ingest/row.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace hotref::fuzz {

/// Fails the run (libFuzzer keeps the input) when a promise is broken.
inline void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "hotref fuzz: check failed: %s\n", what);
        std::abort();
    }
}

/// The input as a string (the readers take their own copy or a source).
inline std::string text_of(const std::uint8_t* data, std::size_t size) {
    return std::string{reinterpret_cast<const char*>(data), size};
}

/// Hands out a buffer in pieces of 1..`piece` bytes (varying), so records
/// that straddle reads, refills and buffer moves are exercised as well as
/// whole-buffer reads.
class PieceSource final : public ByteSource {
public:
    PieceSource(std::string data, std::size_t piece) : m_data(std::move(data)), m_piece(std::max<std::size_t>(piece, 1)) {}

    std::size_t read(char* buffer, std::size_t n) override {
        const std::size_t want = 1 + (m_calls++ * 7919) % m_piece;
        const std::size_t count = std::min({n, want, m_data.size() - m_pos});
        std::memcpy(buffer, m_data.data() + m_pos, count);
        m_pos += count;
        return count;
    }

private:
    std::string m_data;
    std::size_t m_piece;
    std::size_t m_pos = 0;
    std::size_t m_calls = 0;
};

/// Reads every byte of a view (so ASan sees a view that points outside its buffer).
inline std::size_t touch(std::string_view s) {
    std::size_t sum = 0;
    for (const char c : s) {
        sum += static_cast<unsigned char>(c);
    }
    return sum;
}

/// Takes rows and rejects as the ingester would, checking what readers promise:
/// finite coordinates, a month, lines that never go backwards, a reason for every reject.
class CheckingSink final : public ingest::RowSink {
public:
    void row(const ingest::SourceRow& r) override {
        check(std::isfinite(r.x) && std::isfinite(r.y), "a row's coordinates are finite");
        check(r.month.month() >= 1 && r.month.month() <= 12, "a row has a month 1..12");
        check(r.line >= m_last_line, "row lines never go backwards");
        m_last_line = r.line;
        m_sum += touch(r.force) + touch(r.falls_within) + touch(r.street) + touch(r.lsoa_code) + touch(r.lsoa_name) +
                 touch(r.category) + touch(r.category_slug) + touch(r.outcome) + touch(r.crime_id) +
                 touch(r.context) + touch(r.nsir) + touch(r.reference) + touch(r.raw_text());
        if (r.occurred) {
            check(r.occurred->month >= 1 && r.occurred->month <= 12 && r.occurred->day >= 1 && r.occurred->day <= 31,
                  "an incident's date is a calendar date");
            m_sum += r.occurred->iso().size();
        }
        ++rows;
    }
    void reject(store::RejectRow reject) override {
        check(!reject.code.empty() && !reject.reason.empty(), "a reject has a code and a reason");
        check(reject.line >= m_last_line, "reject lines never go backwards");
        m_last_line = reject.line;
        m_sum += touch(reject.raw) + touch(reject.field);
        ++rejects;
    }

    std::size_t rows = 0;
    std::size_t rejects = 0;

private:
    std::int64_t m_last_line = 0;
    std::size_t m_sum = 0;
};

} // namespace hotref::fuzz
