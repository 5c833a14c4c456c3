#include "util/sha256.hpp"

#include "core/error.hpp"

#include <openssl/evp.h>

namespace hotref {

struct Sha256::Impl {
    struct Deleter {
        void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
    };
    std::unique_ptr<EVP_MD_CTX, Deleter> ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {
    if (!m_impl->ctx || EVP_DigestInit_ex(m_impl->ctx.get(), EVP_sha256(), nullptr) != 1) {
        throw Error("OpenSSL: cannot initialise SHA-256");
    }
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(m_impl->ctx.get(), data, size) != 1) {
        throw Error("OpenSSL: SHA-256 update failed");
    }
}

std::string Sha256::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(m_impl->ctx.get(), digest, &length) != 1) {
        throw Error("OpenSSL: SHA-256 final failed");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xF];
    }
    return out;
}

std::string Sha256::of(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.hex_digest();
}

} // namespace hotref
