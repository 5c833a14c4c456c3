#include "core/csv.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cstring>

namespace hotref {

std::size_t MemorySource::read(char* buffer, std::size_t n) {
    const std::size_t count = std::min(n, m_data.size() - m_pos);
    std::memcpy(buffer, m_data.data() + m_pos, count);
    m_pos += count;
    return count;
}

namespace {
constexpr std::size_t initial_buffer = std::size_t{1} << 20; // 1 MiB
constexpr std::size_t max_record = std::size_t{64} << 20;   // 64 MiB
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

CsvReader::CsvReader(ByteSource& source, char delimiter) : m_source(source), m_buffer(initial_buffer) {
    m_delimiter = delimiter;
    m_raw_known = true;
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
// feed, or m_end when the buffer holds no complete record).
std::size_t CsvReader::find_record_end(bool& complete, std::size_t& newlines) {
    const char* data = m_buffer.data();
    bool in_quotes = false;
    std::size_t pos = m_begin;
    while (pos < m_end) {
        const void* nl = std::memchr(data + pos, '\n', m_end - pos);
        const std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : m_end;
        for (const char* q = static_cast<const char*>(std::memchr(data + pos, '"', stop - pos)); q != nullptr;
             q = static_cast<const char*>(std::memchr(q + 1, '"', static_cast<std::size_t>(data + stop - (q + 1))))) {
            in_quotes = !in_quotes;
        }
        if (nl == nullptr) {
            complete = false;
            return m_end;
        }
        if (!in_quotes) {
            complete = true;
            return stop;
        }
        ++newlines;
        pos = stop + 1;
    }
    complete = false;
    return m_end;
}

void CsvReader::split_fields(char* begin, char* end) {
    m_fields.clear();
    char* p = begin;
    while (true) {
        if (p < end && *p == '"') {
            // Quoted field: unquote in place, "" -> ".
            char* out = p;
            char* field_start = p;
            ++p;
            while (p < end) {
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                        continue;
                    }
                    ++p; // closing quote
                    break;
                }
                *out++ = *p++;
            }
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
            }
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
            if (m_end - m_begin > max_record) {
                throw InputError("line " + std::to_string(m_next_line) +
                                 ": a record longer than 64 MiB; probably a quoted field that is never closed");
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
        if (record_end > record_begin && m_buffer[record_end - 1] == '\r') {
            --record_end;
        }
        m_line = m_next_line;
        m_next_line += newlines + (complete ? 1 : 0);
        m_consumed += consumed_to - m_begin;
        m_begin = consumed_to;

        char* b = m_buffer.data() + record_begin;
        char* e = m_buffer.data() + record_end;
        if (b == e) {
            continue; // blank line
        }
        if (!complete) {
            // At the end of input: an odd number of quotes means an unterminated field.
            const auto quotes = std::count(b, e, '"');
            if (quotes % 2 != 0) {
                throw InputError("line " + std::to_string(m_line) +
                                 ": a quoted field is not closed before the end of the file");
            }
        }
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

} // namespace hotref
