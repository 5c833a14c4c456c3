// libFuzzer harness: a force export's column mapping and the export read with it
// (src/ingest/force_export.*).
// Input: the mapping (JSON), then optionally a NUL byte and the export (delimited text).
// The export is read only when the mapping is accepted, as `hotref ingest --mapping` does.

#include "fuzz_support.hpp"

#include "core/error.hpp"
#include "ingest/force_export.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input = hotref::fuzz::text_of(data, size);
    const auto nul = input.find('\0');
    hotref::ingest::ExportMapping mapping;
    try {
        mapping = hotref::ingest::ExportMapping::from_json(input.substr(0, nul), "fuzz-mapping.json");
    } catch (const hotref::InputError&) {
        return 0; // a mapping refused with a message: the documented outcome
    }
    if (nul == std::string::npos) {
        return 0;
    }
    hotref::MemorySource source{input.substr(nul + 1)};
    hotref::fuzz::CheckingSink sink;
    try {
        hotref::ingest::read_force_export(source, "fuzz-export.csv", mapping, sink);
    } catch (const hotref::InputError&) {
        // An export the mapping does not fit: the documented refusal.
    }
    return 0;
}
