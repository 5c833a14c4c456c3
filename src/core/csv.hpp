#pragma once
// A streaming RFC 4180 CSV reader: a UTF-8 byte-order mark, CRLF or LF line
// ends, quoted fields with delimiters, doubled quotes and line breaks inside.
// Fields are views into the reader's buffer, valid until the next call of
// next(). Unquoting happens in place, so reading allocates nothing per record.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hotref {

/// Where bytes come from: a plain file, a member of a zip, a gzip stream,
/// a memory buffer in tests.
class ByteSource {
public:
    ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;
    virtual ~ByteSource() = default;

    /// Reads up to n bytes; returns 0 only at the end. Throws InputError.
    virtual std::size_t read(char* buffer, std::size_t n) = 0;
};

/// A ByteSource over a string (tests, small inputs).
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string data) : m_data(std::move(data)) {}
    std::size_t read(char* buffer, std::size_t n) override;

private:
    std::string m_data;
    std::size_t m_pos = 0;
};

/// Records of a delimited file, one at a time. Fields are views valid until
/// the next call of next().
class RecordReader {
public:
    RecordReader() = default;
    RecordReader(const RecordReader&) = delete;
    RecordReader& operator=(const RecordReader&) = delete;
    virtual ~RecordReader() = default;

    /// Reads the next record; false at the end of input. Throws InputError on
    /// input that cannot be read as records (naming the line).
    virtual bool next() = 0;

    [[nodiscard]] const std::vector<std::string_view>& fields() const noexcept { return m_fields; }
    [[nodiscard]] std::size_t size() const noexcept { return m_fields.size(); }
    [[nodiscard]] std::string_view operator[](std::size_t i) const noexcept { return m_fields[i]; }

    /// 1-based physical line on which the current record starts (the header is line 1).
    [[nodiscard]] std::size_t line() const noexcept { return m_line; }

    /// The current record as it stood in the file, without its line end
    /// (made on demand: only reject reports need it).
    [[nodiscard]] std::string_view raw() const;

    /// Bytes of input consumed so far (for progress).
    [[nodiscard]] std::uint64_t bytes_consumed() const noexcept { return m_consumed; }

protected:
    std::vector<std::string_view> m_fields;
    std::size_t m_line = 0;
    std::uint64_t m_consumed = 0;
    char m_delimiter = ',';
    bool m_raw_known = false;        // m_raw holds the record as written
    std::string_view m_raw;
    mutable std::string m_raw_buf;   // fields joined again, when the record had no quotes
};

class CsvReader final : public RecordReader {
public:
    explicit CsvReader(ByteSource& source, char delimiter = ',');

    /// Reads the next record. Returns false at the end of input. Blank lines
    /// are skipped. An unterminated quoted field at the end of input throws
    /// InputError naming the line where the record started.
    bool next() override;

    /// Whether the current record's text differs from its fields joined by the delimiter.
    [[nodiscard]] bool had_quotes() const noexcept { return m_had_quotes; }

private:
    bool fill();                                  // read more; false at end of input
    std::size_t find_record_end(bool& complete, std::size_t& newlines);
    void split_fields(char* begin, char* end);

    ByteSource& m_source;
    std::vector<char> m_buffer;
    std::size_t m_begin = 0;   // start of unconsumed data
    std::size_t m_end = 0;     // end of valid data
    bool m_eof = false;
    bool m_first = true;
    std::size_t m_next_line = 1;
    bool m_had_quotes = false;
    std::string m_raw_copy;
};

} // namespace hotref
