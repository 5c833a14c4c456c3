#pragma once
// A streaming RFC 4180 CSV reader: a UTF-8 byte-order mark, CRLF, LF or
// CR-only line ends (old Mac exports), quoted fields with delimiters, doubled
// quotes and line breaks inside. Every record is checked to be UTF-8, and a
// record or field over its limit is refused, so a hostile file cannot make
// the reader hold more than the limit.
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

/// Wraps a source of Windows-1252 bytes and yields them as UTF-8.
class Windows1252Source final : public ByteSource {
public:
    explicit Windows1252Source(ByteSource& inner) : m_inner(inner) {}
    std::size_t read(char* buffer, std::size_t n) override;

private:
    ByteSource& m_inner;
    std::string m_pending; // converted bytes not yet handed out
    std::size_t m_pos = 0;
    std::string m_chunk;
};

/// Counts what passes through and throws InputError(`message`) once more
/// than `limit` bytes have been read: the guard against decompression bombs.
class LimitedSource final : public ByteSource {
public:
    LimitedSource(ByteSource& inner, std::uint64_t limit, std::string message)
        : m_inner(inner), m_limit(limit), m_message(std::move(message)) {}
    std::size_t read(char* buffer, std::size_t n) override;

private:
    ByteSource& m_inner;
    std::uint64_t m_limit;
    std::uint64_t m_count = 0;
    std::string m_message;
};

/// How a CsvReader reads: the delimiter, the name its errors start with, and
/// its limits (the defaults hold any real data.police.uk or force file).
struct CsvOptions {
    char delimiter = ',';
    std::string name;                                   // "file.csv": errors read "file.csv: line 7: ..."
    std::size_t max_record_bytes = std::size_t{16} << 20; // 16 MiB
    std::size_t max_field_bytes = std::size_t{1} << 20;   // 1 MiB
    /// How to tell the user to raise a limit ("raise it with --max-line-length").
    std::string record_limit_hint;
    std::string field_limit_hint;
    /// Whether a quoted field may hold line breaks (RFC 4180). Formats whose fields never do
    /// (police.uk CSV) turn it off, so that a quote that is never closed costs one line, not
    /// every line up to the next quote.
    bool multiline_fields = true;
    /// What to tell the user about a byte that is not UTF-8.
    std::string encoding_hint = "re-save the file as UTF-8";
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

/// Throws InputError naming `name` when two columns of the current record
/// (a header) have the same name, blanks and case aside; empty names may repeat.
void require_unique_columns(const RecordReader& header, const std::string& name);

class CsvReader final : public RecordReader {
public:
    explicit CsvReader(ByteSource& source, char delimiter = ',');
    CsvReader(ByteSource& source, CsvOptions options);

    /// Reads the next record. Returns false at the end of input. Blank lines
    /// are skipped. An unterminated quoted field at the end of input throws
    /// InputError naming the line where the record started.
    bool next() override;

    /// Whether the current record's text differs from its fields joined by the delimiter.
    [[nodiscard]] bool had_quotes() const noexcept { return m_had_quotes; }

    /// Whether the current record ended with a line end (false only for a
    /// last record cut short, or a file without a final newline).
    [[nodiscard]] bool terminated() const noexcept { return m_terminated; }

    /// Whether a quoted field of the current record has no closing quote (only
    /// without multi-line fields: the record then ends at its line end).
    [[nodiscard]] bool unbalanced_quote() const noexcept { return m_unbalanced; }

    /// Whether the file's lines end with CR alone.
    [[nodiscard]] bool cr_line_ends() const noexcept { return m_eol == '\r'; }

private:
    bool fill();                                  // read more; false at end of input
    std::size_t find_record_end(bool& complete, std::size_t& newlines);
    void split_fields(char* begin, char* end);
    void detect_line_ends();
    void check_record(const char* begin, const char* end) const;
    [[noreturn]] void fail(std::size_t line, const std::string& what) const;

    ByteSource& m_source;
    std::vector<char> m_buffer;
    std::size_t m_begin = 0;   // start of unconsumed data
    std::size_t m_end = 0;     // end of valid data
    bool m_eof = false;
    bool m_first = true;
    std::size_t m_next_line = 1;
    bool m_had_quotes = false;
    bool m_terminated = true;
    bool m_open_quote = false;  // the scan ended inside a quoted field
    bool m_unbalanced = false;
    char m_eol = '\n';
    std::uint64_t m_record_offset = 0; // file offset of the current record
    CsvOptions m_options;
    std::string m_raw_copy;
};

} // namespace hotref
