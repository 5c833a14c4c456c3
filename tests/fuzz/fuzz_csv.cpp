// libFuzzer harness: the CSV reader (src/core/csv.*).
// Input: byte 0 is the delimiter (',', ';', '|' or a tab; any other byte means ','),
// the rest is the file. The file is read
// twice, once in one read and once in small pieces: both must give the same
// records, lines and error (refills and buffer moves must not change a record).

#include "fuzz_support.hpp"

#include "core/error.hpp"

#include <vector>

namespace {

using namespace hotref;

struct Result {
    std::vector<std::vector<std::string>> records;
    std::vector<std::size_t> lines;
    std::vector<std::string> raws;
    std::string error;
};

Result read_all(ByteSource& source, char delimiter, std::size_t input_size) {
    Result out;
    try {
        CsvReader csv{source, delimiter};
        std::uint64_t consumed = 0;
        while (csv.next()) {
            fuzz::check(csv.size() >= 1, "a record has at least one field");
            fuzz::check(out.lines.empty() || csv.line() > out.lines.back(), "record lines increase");
            fuzz::check(csv.bytes_consumed() >= consumed && csv.bytes_consumed() <= input_size,
                        "bytes consumed grow and stay within the input");
            consumed = csv.bytes_consumed();
            std::vector<std::string> fields;
            for (const auto f : csv.fields()) {
                fields.emplace_back(f);
            }
            out.records.push_back(std::move(fields));
            out.lines.push_back(csv.line());
            out.raws.emplace_back(csv.raw());
        }
    } catch (const InputError& e) {
        out.error = e.what();
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const char first = static_cast<char>(data[0]);
    const char delimiter = std::string_view{",;|\t"}.find(first) != std::string_view::npos ? first : ',';
    const std::size_t piece = 1 + size % 61; // pieces of 1..61 bytes
    const std::string text = fuzz::text_of(data + 1, size - 1);

    MemorySource whole{text};
    const Result a = read_all(whole, delimiter, text.size());
    fuzz::PieceSource pieces{text, piece};
    const Result b = read_all(pieces, delimiter, text.size());
    fuzz::check(a.records == b.records, "the same records whether read whole or in pieces");
    fuzz::check(a.lines == b.lines, "the same lines whether read whole or in pieces");
    fuzz::check(a.raws == b.raws, "the same raw text whether read whole or in pieces");
    fuzz::check(a.error == b.error, "the same error whether read whole or in pieces");
    return 0;
}
