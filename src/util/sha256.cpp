#include "util/sha256.hpp"

#include <array>
#include <memory>
#include <string>

#include "core/error.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/params.h>

namespace hotref {

struct Sha256::Impl {
    struct Deleter {
        void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
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

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data) {
    struct MacDeleter {
        void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
    };
    struct CtxDeleter {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    using Ctx = std::unique_ptr<EVP_MAC_CTX, CtxDeleter>;
    // Fetched once: EVP_MAC_fetch is comparatively slow, and disclosure control keys many records.
    static const std::unique_ptr<EVP_MAC, MacDeleter> mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
    if (!mac) {
        throw Error("OpenSSL: HMAC is not available");
    }
    // One context keyed per thread and key, copied for each message: keying it (SHA-256 fetched
    // by name, the key's two blocks) costs more than the short record identities it then
    // hashes, millions of them with one key in a national publication.
    struct Keyed {
        std::string key;
        Ctx ctx;
    };
    thread_local Keyed keyed;
    if (!keyed.ctx || keyed.key != key) {
        Ctx fresh{EVP_MAC_CTX_new(mac.get())};
        char digest_name[] = "SHA256";
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                     OSSL_PARAM_construct_end()};
        if (!fresh ||
            EVP_MAC_init(fresh.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
            throw Error("OpenSSL: HMAC-SHA-256 failed");
        }
        keyed.ctx = std::move(fresh);
        keyed.key.assign(key);
    }
    const Ctx ctx{EVP_MAC_CTX_dup(keyed.ctx.get())};
    if (!ctx ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        throw Error("OpenSSL: HMAC-SHA-256 failed");
    }
    std::array<unsigned char, 32> out{};
    std::size_t length = 0;
    if (EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1 || length != out.size()) {
        throw Error("OpenSSL: HMAC-SHA-256 failed");
    }
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const char b : bytes) {
        const auto c = static_cast<unsigned char>(b);
        text += digits[c >> 4];
        text += digits[c & 0xF];
    }
    return text;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    const auto mac = hmac_sha256(key, data);
    return hex({reinterpret_cast<const char*>(mac.data()), mac.size()});
}

std::string random_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
        throw Error("OpenSSL: the random generator failed (RAND_bytes)");
    }
    return bytes;
}

} // namespace hotref
