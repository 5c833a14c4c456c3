// libFuzzer harness: the police.uk API JSON reader (src/ingest/policeuk_json.*).
// Input: the whole response body.

#include "fuzz_support.hpp"

#include "core/error.hpp"
#include "ingest/policeuk_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hotref::fuzz::CheckingSink sink;
    try {
        hotref::ingest::read_policeuk_json(hotref::fuzz::text_of(data, size), "fuzz-crimes.json",
                                           "Fuzz Constabulary", sink);
    } catch (const hotref::InputError&) {
        // Not a police.uk crimes array: the documented refusal.
    }
    return 0;
}
