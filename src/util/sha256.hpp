#pragma once
// SHA-256 through OpenSSL's EVP interface (the only file that includes OpenSSL).

#include <cstddef>
#include <memory>
#include <array>
#include <string>
#include <string_view>

namespace hotref {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t size);
    /// Lower-case hex digest; the object must not be updated afterwards.
    std::string hex_digest();

    static std::string of(std::string_view data);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// HMAC-SHA-256 of `data` under `key` (OpenSSL's EVP_MAC).
std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data);

/// HMAC-SHA-256 of `data` under `key`, lower-case hex (OpenSSL's EVP_MAC).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// `bytes` as lower-case hex, two digits a byte.
std::string hex(std::string_view bytes);

/// `count` bytes from OpenSSL's cryptographically secure generator (RAND_bytes).
std::string random_bytes(std::size_t count);

} // namespace hotref
