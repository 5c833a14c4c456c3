// libFuzzer harness: the protobuf messages the service decodes from request bodies
// (proto/hotref/v1/api.proto): hotref.v1.FeedBatch (POST /v1/feeds) and
// hotref.v1.ReferralInput (POST and PATCH /v1/referrals), and the hotref.v1.Referral
// a client decodes from the answers. Input: a body, decoded as each message in
// application/x-protobuf and in JSON with the options of Service::Call::parse_body
// (src/server/call.hpp). A decoded message must survive a round trip.

#include "fuzz_support.hpp"

#include "hotref/v1/api.pb.h"

#include <google/protobuf/util/json_util.h>

namespace {

namespace pb = google::protobuf;
using hotref::fuzz::check;

std::string bytes_of(const pb::Message& m) {
    std::string out;
    check(m.SerializeToString(&out), "a decoded message serialises");
    return out;
}

template <typename Message>
void decode(const std::string& body) {
    Message binary;
    if (binary.ParseFromString(body)) {
        const std::string once = bytes_of(binary);
        Message again;
        check(again.ParseFromString(once), "a serialised message decodes again");
        check(bytes_of(again) == once, "a message survives a binary round trip");
        std::string json;
        pb::util::JsonPrintOptions print;
        print.preserve_proto_field_names = true;
        // Bytes and strings that are not UTF-8 have no JSON form: the printer may refuse them.
        (void)pb::util::MessageToJsonString(binary, &json, print);
    }
    Message from_json;
    pb::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = false;
    if (pb::util::JsonStringToMessage(body, &from_json, opts).ok()) {
        const std::string once = bytes_of(from_json);
        Message again;
        check(again.ParseFromString(once), "a message read from JSON decodes again");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body = hotref::fuzz::text_of(data, size);
    decode<hotref::v1::FeedBatch>(body);
    decode<hotref::v1::ReferralInput>(body);
    decode<hotref::v1::Referral>(body);
    return 0;
}
