// libFuzzer harness: the data.police.uk street-level CSV reader (src/ingest/policeuk_csv.*).
// Input: the file.

#include "fuzz_support.hpp"

#include "core/error.hpp"
#include "ingest/policeuk_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hotref::MemorySource source{hotref::fuzz::text_of(data, size)};
    hotref::fuzz::CheckingSink sink;
    try {
        hotref::ingest::read_policeuk_csv(source, "fuzz-street.csv", sink);
    } catch (const hotref::InputError&) {
        // A file that cannot be read as a police.uk CSV: the documented refusal.
    }
    return 0;
}
