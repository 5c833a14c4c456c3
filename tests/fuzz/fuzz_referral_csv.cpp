// libFuzzer harness: the referral CSV import (src/referral/*: import_csv, from_fields,
// validate, the registry's upsert). Input: the CSV file a caseworker imports.
// Each input is imported into an empty store, so a finding replays from its input alone:
// after an import that committed, the store is replaced by a fresh copy of an empty one
// (made once); an import that stored nothing leaves it empty and it is used again. A bad file is an InputError; bad rows are
// row errors in the report, with nothing stored.

#include "fuzz_support.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "referral/registry.hpp"
#include "store/store.hpp"

#include <filesystem>
#include <memory>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using hotref::fuzz::check;

struct Scratch {
    fs::path dir;
    fs::path empty_store;
    fs::path store;

    Scratch() {
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path{"/dev/shm"} : fs::temp_directory_path();
        std::string templ = (base / "hotref-fuzz-referral-XXXXXX").string();
        check(::mkdtemp(templ.data()) != nullptr, "a scratch folder can be made");
        dir = templ;
        empty_store = dir / "empty.sqlite";
        store = dir / "store.sqlite";
        { hotref::store::Store s{empty_store.string(), true}; }
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    // A fresh copy of the empty store (its WAL was checkpointed when it was closed).
    void reset() const {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            fs::remove(store.string() + suffix);
        }
        fs::copy_file(empty_store, store);
    }
};

// The store for the next input: empty, as every input finds it.
hotref::store::Store& empty_store(bool dirty) {
    static const Scratch s;
    static std::unique_ptr<hotref::store::Store> store;
    if (!store || dirty) {
        store.reset();
        s.reset();
        store = std::make_unique<hotref::store::Store>(s.store.string(), false);
    }
    return *store;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool dirty = false;
    auto& store = empty_store(dirty);
    dirty = false;
    const std::string path = "/vsimem/fuzz-referrals.csv";
    hotref::geo::write_vsi_file(path, hotref::fuzz::text_of(data, size));
    hotref::referral::RegistryOptions options;
    options.actor = "fuzz";
    options.secret = "fuzz-secret-of-at-least-16-characters";
    try {
        const auto report = hotref::referral::import_csv(store, path, options, false);
        dirty = report.committed;
        check(report.committed == report.errors.empty(), "an import commits exactly when no row is bad");
        check(report.created + report.updated + report.unchanged <= report.rows, "no more changes than rows");
        for (const auto& e : report.errors) {
            check(e.line >= 2 && !e.reason.empty(), "a row error names its line and why");
        }
        hotref::referral::Registry registry{store, options};
        const auto stored = registry.list("", 1'000'000);
        check(static_cast<std::int64_t>(stored.size()) == (report.committed ? report.created : 0),
              "the store holds exactly the referrals created by a committed import");
    } catch (const hotref::InputError&) {
        // Not a referral template file: the documented refusal.
    }
    hotref::geo::remove_vsi_file(path);
    return 0;
}
