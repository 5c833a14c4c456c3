#include "core/csv.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace hotref {

std::size_t MemorySource::read(char* buffer, std::size_t n) {
    const std::size_t count = std::min(n, m_data.size() - m_pos);
    std::memcpy(buffer, m_data.data() + m_pos, count);
    m_pos += count;
    return count;
}

std::size_t Windows1252Source::read(char* buffer, std::size_t n) {
    while (m_pos == m_pending.size()) {
        m_chunk.resize(std::max<std::size_t>(n, 4096));
        const std::size_t got = m_inner.read(m_chunk.data(), m_chunk.size());
        if (got == 0) {
            return 0;
        }
        m_pending = windows1252_to_utf8(std::string_view{m_chunk.data(), got});
        m_pos = 0;
    }
    const std::size_t count = std::min(n, m_pending.size() - m_pos);
    std::memcpy(buffer, m_pending.data() + m_pos, count);
    m_pos += count;
    return count;
}

std::size_t LimitedSource::read(char* buffer, std::size_t n) {
    const std::size_t got = m_inner.read(buffer, n);
    m_count += got;
    if (m_count > m_limit) {
        throw InputError(m_message);
    }
    return got;
}

namespace {
constexpr std::size_t initial_buffer = std::size_t{1} << 20; // 1 MiB
} // namespace

std::string_view RecordReader::raw() const {
    if (m_raw_known) {
        return m_raw;
    }
    m_raw_buf.clear();
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
        if (i > 0) {
            m_raw_buf += m_delimiter;
        }
        m_raw_buf.append(m_fields[i]);
    }
    return m_raw_buf;
}

namespace {
CsvOptions with_delimiter(char delimiter) {
    CsvOptions o;
    o.delimiter = delimiter;
    return o;
}
} // namespace

CsvReader::CsvReader(ByteSource& source, char delimiter) : CsvReader(source, with_delimiter(delimiter)) {}

CsvReader::CsvReader(ByteSource& source, CsvOptions options)
    : m_source(source), m_buffer(initial_buffer), m_options(std::move(options)) {
    m_delimiter = m_options.delimiter;
    m_raw_known = true;
}

void CsvReader::fail(std::size_t line, const std::string& what) const {
    throw InputError((m_options.name.empty() ? std::string{} : m_options.name + ": ") + "line " +
                     std::to_string(line) + ": " + what);
}

// LF (and CRLF) unless the start of the file holds CRs and no LF at all.
void CsvReader::detect_line_ends() {
    auto has = [this](char c) { return std::memchr(m_buffer.data() + m_begin, c, m_end - m_begin) != nullptr; };
    while (!has('\n') && m_end - m_begin < initial_buffer && fill()) {
    }
    if (!has('\n') && has('\r')) {
        m_eol = '\r';
    }
}

void CsvReader::check_record(const char* begin, const char* end) const {
    const auto size = static_cast<std::size_t>(end - begin);
    if (size > m_options.max_record_bytes) {
        fail(m_line, "a record longer than " + format_size(m_options.max_record_bytes) +
                         " (probably a quoted field that is never closed)" +
                         (m_options.record_limit_hint.empty() ? "" : "; " + m_options.record_limit_hint));
    }
    if (const auto at = utf8_error_at(std::string_view{begin, size})) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(begin[*at])));
        fail(m_line, "byte " + std::to_string(*at + 1) + " of the line (" + hex + ", file offset " +
                         std::to_string(m_record_offset + *at) + ") is not UTF-8; " + m_options.encoding_hint);
    }
}

bool CsvReader::fill() {
    if (m_eof) {
        return false;
    }
    // Move the unconsumed tail to the front, grow if a record fills the buffer.
    if (m_begin > 0) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
        m_end -= m_begin;
        m_begin = 0;
    }
    if (m_end == m_buffer.size()) {
        m_buffer.resize(m_buffer.size() * 2);
    }
    const std::size_t got = m_source.read(m_buffer.data() + m_end, m_buffer.size() - m_end);
    if (got == 0) {
        m_eof = true;
        return false;
    }
    m_end += got;
    return true;
}

// Finds the end of the record starting at m_begin (the position of its line
// end, or m_end when the buffer holds no complete record). A quote opens a
// quoted field only at the start of a field (RFC 4180); anywhere else it is a
// character like any other, so a stray quote in a street name cannot swallow
// the lines after it. Without multi-line fields a line end always ends the record.
std::size_t CsvReader::find_record_end(bool& complete, std::size_t& newlines) {
    const char* data = m_buffer.data();
    bool in_quotes = false;
    bool field_start = true;
    std::size_t pos = m_begin;
    while (pos < m_end) {
        const void* nl = std::memchr(data + pos, m_eol, m_end - pos);
        const std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : m_end;
        if (in_quotes || std::memchr(data + pos, '"', stop - pos) != nullptr) {
            for (std::size_t i = pos; i < stop; ++i) {
                const char c = data[i];
                if (in_quotes) {
                    if (c == '"') {
                        if (i + 1 < stop && data[i + 1] == '"') {
                            ++i; // a doubled quote inside quotes
                        } else {
                            in_quotes = false;
                        }
                    }
                    continue;
                }
                in_quotes = c == '"' && field_start;
                field_start = c == m_delimiter;
            }
        }
        m_open_quote = in_quotes;
        if (nl == nullptr) {
            complete = false;
            return m_end;
        }
        if (!in_quotes || !m_options.multiline_fields) {
            complete = true;
            return stop;
        }
        ++newlines; // a line break inside a quoted field
        field_start = false;
        pos = stop + 1;
    }
    complete = false;
    return m_end;
}

void CsvReader::split_fields(char* begin, char* end) {
    m_fields.clear();
    m_unbalanced = false;
    char* p = begin;
    while (true) {
        if (p < end && *p == '"') {
            // Quoted field: unquote in place, "" -> ".
            char* out = p;
            char* field_start = p;
            ++p;
            bool closed = false;
            while (p < end) {
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                        continue;
                    }
                    ++p; // closing quote
                    closed = true;
                    break;
                }
                *out++ = *p++;
            }
            m_unbalanced = m_unbalanced || !closed;
            // Anything between the closing quote and the delimiter is kept (lenient).
            while (p < end && *p != m_delimiter) {
                *out++ = *p++;
            }
            m_fields.emplace_back(field_start, static_cast<std::size_t>(out - field_start));
        } else {
            char* field_start = p;
            while (p < end && *p != m_delimiter) {
                ++p;
            }
            m_fields.emplace_back(field_start, static_cast<std::size_t>(p - field_start));
        }
        if (m_fields.back().size() > m_options.max_field_bytes) {
            fail(m_line, "field " + std::to_string(m_fields.size()) + " is longer than " +
                             format_size(m_options.max_field_bytes) +
                             (m_options.field_limit_hint.empty() ? "" : "; " + m_options.field_limit_hint));
        }
        if (p >= end) {
            break;
        }
        ++p; // delimiter
    }
}

bool CsvReader::next() {
    while (true) {
        if (m_begin == m_end && !fill()) {
            return false;
        }
        if (m_first) {
            // A UTF-8 byte-order mark at the very start is not part of the header.
            while (m_end - m_begin < 3 && fill()) {
            }
            if (m_end - m_begin >= 3 && std::memcmp(m_buffer.data() + m_begin, "\xEF\xBB\xBF", 3) == 0) {
                m_begin += 3;
                m_consumed += 3;
            } else if (m_end - m_begin >= 2 && (std::memcmp(m_buffer.data() + m_begin, "\xFF\xFE", 2) == 0 ||
                                                std::memcmp(m_buffer.data() + m_begin, "\xFE\xFF", 2) == 0)) {
                fail(1, "the file is UTF-16 (it starts with a UTF-16 byte-order mark); re-save it as UTF-8");
            }
            detect_line_ends();
            m_first = false;
            continue;
        }
        std::size_t newlines = 0;
        bool complete = false;
        std::size_t stop = 0;
        while (true) {
            newlines = 0;
            stop = find_record_end(complete, newlines);
            if (complete) {
                break;
            }
            if (m_end - m_begin > m_options.max_record_bytes) {
                m_line = m_next_line;
                check_record(m_buffer.data() + m_begin, m_buffer.data() + m_end);
            }
            if (!fill()) {
                stop = m_end; // the last record, without a line end (fill() may have moved the data)
                break;
            }
        }
        if (!complete && m_begin == m_end) {
            return false;
        }
        const std::size_t record_begin = m_begin;
        std::size_t record_end = stop;
        const std::size_t consumed_to = complete ? stop + 1 : stop;
        if (m_eol == '\n' && record_end > record_begin && m_buffer[record_end - 1] == '\r') {
            --record_end;
        }
        m_line = m_next_line;
        m_next_line += newlines + (complete ? 1 : 0);
        m_record_offset = m_consumed;
        m_consumed += consumed_to - m_begin;
        m_begin = consumed_to;

        char* b = m_buffer.data() + record_begin;
        char* e = m_buffer.data() + record_end;
        if (b == e) {
            continue; // blank line
        }
        if (!complete && m_open_quote && m_options.multiline_fields) {
            fail(m_line, "a quoted field is not closed before the end of the file");
        }
        check_record(b, e);
        m_terminated = complete;
        m_had_quotes = std::memchr(b, '"', static_cast<std::size_t>(e - b)) != nullptr;
        if (m_had_quotes) {
            m_raw_copy.assign(b, e); // split_fields unquotes in place
            m_raw = m_raw_copy;
        } else {
            m_raw = std::string_view(b, static_cast<std::size_t>(e - b));
        }
        split_fields(b, e);
        return true;
    }
}

void require_unique_columns(const RecordReader& header, const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
        const std::string a = to_lower(trim(header[i]));
        if (a.empty()) {
            continue;
        }
        for (std::size_t j = i + 1; j < header.size(); ++j) {
            if (to_lower(trim(header[j])) == a) {
                throw InputError(name + ": line 1: column '" + std::string{trim(header[i])} + "' appears twice (columns " +
                                 std::to_string(i + 1) + " and " + std::to_string(j + 1) +
                                 "); which one holds the data is ambiguous; remove or rename one of them");
            }
        }
    }
}

} // namespace hotref
