#include "core/csv.hpp"
#include "core/error.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using hotref::CsvReader;
using hotref::MemorySource;

namespace {

std::vector<std::vector<std::string>> read_all(const std::string& text, std::vector<std::size_t>* lines = nullptr) {
    MemorySource src{text};
    CsvReader csv{src};
    std::vector<std::vector<std::string>> out;
    while (csv.next()) {
        out.emplace_back(csv.fields().begin(), csv.fields().end());
        if (lines != nullptr) {
            lines->push_back(csv.line());
        }
    }
    return out;
}

/// A source that hands out one byte per read, to cross every buffer edge.
class TrickleSource final : public hotref::ByteSource {
public:
    explicit TrickleSource(std::string data) : m_data(std::move(data)) {}
    std::size_t read(char* buffer, std::size_t n) override {
        if (m_pos >= m_data.size() || n == 0) {
            return 0;
        }
        buffer[0] = m_data[m_pos++];
        return 1;
    }

private:
    std::string m_data;
    std::size_t m_pos = 0;
};

} // namespace

TEST_CASE("csv: plain records, LF and CRLF") {
    const auto lf = read_all("a,b,c\n1,2,3\n");
    const auto crlf = read_all("a,b,c\r\n1,2,3\r\n");
    REQUIRE(lf.size() == 2);
    CHECK(lf == crlf);
    CHECK(lf[1] == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("csv: a UTF-8 byte-order mark is not part of the first field") {
    const auto rows = read_all("\xEF\xBB\xBF" "Crime ID,Month\r\nx,2025-01\r\n");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0][0] == "Crime ID");
}

TEST_CASE("csv: quoted fields with delimiters, doubled quotes and line breaks") {
    std::vector<std::size_t> lines;
    const auto rows = read_all("h1,h2\n\"On or near A, B\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,row", &lines);
    REQUIRE(rows.size() == 4);
    CHECK(rows[1][0] == "On or near A, B");
    CHECK(rows[1][1] == "say \"hi\"");
    CHECK(rows[2][0] == "two\nlines");
    CHECK(rows[3] == std::vector<std::string>{"last", "row"});
    // Line numbers are where each record starts.
    CHECK(lines == std::vector<std::size_t>{1, 2, 3, 5});
}

TEST_CASE("csv: empty fields, trailing delimiter and blank lines") {
    const auto rows = read_all("a,,c,\n\n\n1,2,3,4\n");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::vector<std::string>{"a", "", "c", ""});
}

TEST_CASE("csv: records split across every buffer boundary read the same") {
    const std::string text = "\xEF\xBB\xBF" "h1,h2\r\n\"a,\"\"b\"\"\",c\r\n\"x\ny\",z\r\n";
    TrickleSource src{text};
    CsvReader csv{src};
    std::vector<std::vector<std::string>> rows;
    while (csv.next()) {
        rows.emplace_back(csv.fields().begin(), csv.fields().end());
    }
    CHECK(rows == read_all(text));
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][0] == "a,\"b\"");
}

TEST_CASE("csv: raw() gives the record as written, for reject reports") {
    MemorySource src{"h\n\"a \"\"q\"\"\",b\n"};
    CsvReader csv{src};
    REQUIRE(csv.next());
    REQUIRE(csv.next());
    CHECK(csv.raw() == "\"a \"\"q\"\"\",b");
}

TEST_CASE("csv: an unclosed quote at the end of input is an error naming the line") {
    MemorySource src{"h1,h2\nok,1\n\"never closed,2\n"};
    CsvReader csv{src};
    REQUIRE(csv.next());
    REQUIRE(csv.next());
    CHECK_THROWS_WITH_AS(csv.next(), "line 3: a quoted field is not closed before the end of the file",
                         hotref::InputError);
}

TEST_CASE("csv: another delimiter") {
    MemorySource src{"a;b\n1;\"2;3\"\n"};
    CsvReader csv{src, ';'};
    REQUIRE(csv.next());
    REQUIRE(csv.next());
    CHECK(csv[1] == "2;3");
}

TEST_CASE("csv: raw() of a record without quotes is its text, of one with quotes the text as written") {
    MemorySource src{"h1,h2\nplain,row\n\"q,1\",x\n"};
    CsvReader csv{src};
    REQUIRE(csv.next());
    REQUIRE(csv.next());
    CHECK(csv.raw() == "plain,row");
    CHECK_FALSE(csv.had_quotes());
    REQUIRE(csv.next());
    CHECK(csv.raw() == "\"q,1\",x");
    CHECK(csv.had_quotes());
}
