#include "server/transport/DtlsTransport.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "server/transport/DtlsContext.h"

namespace myriad::server::transport {

// A BIO that carries whole datagrams between OpenSSL and the transport. A
// memory BIO would concatenate everything OpenSSL writes and lose the
// datagram boundaries its DTLS layer carefully packs to the MTU (during the
// handshake it flushes one buffered datagram per BIO_write); this one turns
// each BIO_write into one datagram and hands each received datagram to
// exactly one BIO_read.
struct DtlsTransportBio {
  static DtlsTransport* Transport(BIO* bio) {
    return static_cast<DtlsTransport*>(BIO_get_data(bio));
  }

  static int Write(BIO* bio, const char* data, int length) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* transport = Transport(bio);
    if (transport == nullptr || length < 0) return -1;
    transport->QueueDatagram(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data),
                                                      static_cast<size_t>(length)));
    return length;
  }

  static int Read(BIO* bio, char* out, int length) {
    BIO_clear_retry_flags(bio);
    DtlsTransport* transport = Transport(bio);
    if (transport == nullptr || length <= 0) return -1;
    const size_t read = transport->ReadPendingInput(
        std::span<uint8_t>(reinterpret_cast<uint8_t*>(out), static_cast<size_t>(length)));
    if (read == 0) {
      // No datagram: tell OpenSSL to come back later (SSL_ERROR_WANT_READ).
      BIO_set_retry_read(bio);
      return -1;
    }
    return static_cast<int>(read);
  }

  static long Control(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;  // every write is already a sent datagram
      case BIO_CTRL_DGRAM_QUERY_MTU:
        return static_cast<long>(DtlsTransport::kMtu);
      default:
        // Includes BIO_CTRL_WPENDING / BIO_CTRL_PENDING (nothing is ever
        // buffered here), BIO_CTRL_DGRAM_GET_MTU_OVERHEAD (0: kMtu is already
        // the UDP payload size) and the timer/peer controls meant for sockets.
        return 0;
    }
  }

  static int Create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static int Destroy(BIO* bio) {
    BIO_set_data(bio, nullptr);
    return 1;
  }

  static BIO_METHOD* Method() {
    // Created once and kept for the process: BIO methods are immutable and
    // shared by every BIO of the type.
    static BIO_METHOD* method = [] {
      const int index = BIO_get_new_index();
      if (index == -1) return static_cast<BIO_METHOD*>(nullptr);
      BIO_METHOD* created = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "myriad-dtls-datagram");
      if (created == nullptr) return created;
      BIO_meth_set_write(created, &Write);
      BIO_meth_set_read(created, &Read);
      BIO_meth_set_ctrl(created, &Control);
      BIO_meth_set_create(created, &Create);
      BIO_meth_set_destroy(created, &Destroy);
      return created;
    }();
    return method;
  }
};

namespace {

// RFC 8122 5 names the hash functions of a=fingerprint as in the IANA
// "Hash Function Textual Names" registry; those MD2/MD5 are refused.
const EVP_MD* DigestForAlgorithm(std::string_view algorithm) {
  std::string lower(algorithm);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "sha-1") return EVP_sha1();
  if (lower == "sha-224") return EVP_sha224();
  if (lower == "sha-256") return EVP_sha256();
  if (lower == "sha-384") return EVP_sha384();
  if (lower == "sha-512") return EVP_sha512();
  return nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "AB:cd:..." (RFC 8122 5: pairs of hex digits separated by colons).
bool ParseFingerprint(std::string_view text, size_t expectedSize, std::vector<uint8_t>& out) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  out.clear();
  size_t position = 0;
  while (position < text.size()) {
    if (position + 2 > text.size()) return false;
    const int high = HexValue(text[position]);
    const int low = HexValue(text[position + 1]);
    if (high < 0 || low < 0) return false;
    out.push_back(static_cast<uint8_t>(high * 16 + low));
    position += 2;
    if (position == text.size()) break;
    if (text[position] != ':' || position + 1 == text.size()) return false;
    ++position;
  }
  return out.size() == expectedSize;
}

// RFC 6347 4.1: content type, version, epoch, sequence number, length.
constexpr size_t kRecordHeaderSize = 13;

// The shortest protected record of an AEAD cipher (RFC 5288 3: 8-byte
// explicit nonce and 16-byte tag for AES-GCM; RFC 7905 2: 16-byte tag for
// ChaCha20-Poly1305); 0 for the others.
size_t MinimumProtectedRecordSize(const SSL_CIPHER* cipher) {
  if (cipher == nullptr) return 0;
  switch (SSL_CIPHER_get_cipher_nid(cipher)) {
    case NID_aes_128_gcm:
    case NID_aes_256_gcm:
      return EVP_GCM_TLS_EXPLICIT_IV_LEN + EVP_GCM_TLS_TAG_LEN;
    case NID_chacha20_poly1305:
      return EVP_CHACHAPOLY_TLS_TAG_LEN;
    default:
      return 0;
  }
}

// RFC 5764 4.2: the exporter label and the layout of its output.
constexpr char kSrtpExporterLabel[] = "EXTRACTOR-dtls_srtp";

}  // namespace

DtlsTransport::DtlsTransport(const DtlsCertificate& certificate, DtlsRole role, Listener& listener)
    : role_(role), listener_(listener) {
  context_ = DtlsContext::ForCertificate(certificate);
  BIO_METHOD* method = DtlsTransportBio::Method();
  if (!context_ || method == nullptr) {
    setupError_ = "cannot create the DTLS context";
    return;
  }
  ssl_ = SSL_new(context_->Get());
  if (ssl_ == nullptr) {
    setupError_ = "cannot create the DTLS session";
    return;
  }
  SSL_set_app_data(ssl_, this);
  BIO* readBio = BIO_new(method);
  BIO* writeBio = BIO_new(method);
  if (readBio == nullptr || writeBio == nullptr) {
    BIO_free(readBio);
    BIO_free(writeBio);
    SSL_free(ssl_);
    ssl_ = nullptr;
    setupError_ = "cannot create the DTLS BIOs";
    return;
  }
  BIO_set_data(readBio, this);
  BIO_set_data(writeBio, this);
  SSL_set_bio(ssl_, readBio, writeBio);  // the SSL owns both from here
  // After SSL_set_bio: OpenSSL checks the MTU against the write BIO's overhead.
  if (SSL_set_mtu(ssl_, kMtu) <= 0) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    setupError_ = "cannot set the DTLS MTU";
    return;
  }
  DTLS_set_timer_cb(ssl_, &DtlsTransport::TimerCallback);
  if (role_ == DtlsRole::kClient) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
}

DtlsTransport::~DtlsTransport() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

void DtlsTransport::SetRetransmitTimeouts(std::chrono::milliseconds initial,
                                          std::chrono::milliseconds maximum) {
  initialRetransmitTimeout_ = std::max(initial, kMinRetransmitTimeout);
  maxRetransmitTimeout_ = std::max(maximum, initialRetransmitTimeout_);
}

void DtlsTransport::SetRemoteFingerprint(std::string_view algorithm, std::string_view fingerprint) {
  if (state_ == State::kConnected || state_ == State::kFailed || state_ == State::kClosed) return;
  remoteFingerprintSet_ = true;
  remoteDigest_ = nullptr;
  remoteFingerprintError_.clear();
  const EVP_MD* digest = DigestForAlgorithm(algorithm);
  if (digest == nullptr) {
    remoteFingerprintError_ = "unsupported remote fingerprint algorithm '";
    remoteFingerprintError_.append(algorithm);
    remoteFingerprintError_.push_back('\'');
  } else if (!ParseFingerprint(fingerprint, static_cast<size_t>(EVP_MD_get_size(digest)),
                               remoteFingerprint_)) {
    remoteFingerprintError_ = "malformed remote fingerprint";
  } else {
    remoteDigest_ = digest;
  }
  CompleteIfVerified();
}

void DtlsTransport::Start() {
  if (state_ != State::kNew) return;
  if (ssl_ == nullptr) {
    Fail(setupError_);
    return;
  }
  state_ = State::kConnecting;
  if (role_ == DtlsRole::kClient) ContinueHandshake();
}

void DtlsTransport::ProcessPacket(std::span<const uint8_t> datagram) {
  if (datagram.empty() || ssl_ == nullptr) return;
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  // RFC 6347 4.1.2.7: invalid records are silently discarded. OpenSSL 3.0
  // instead fails the connection on a protected record shorter than the
  // cipher's nonce and tag, so such datagrams never reach it: one spoofed
  // datagram must not end a call.
  if (handshakeDone_ && !HasAcceptableRecords(datagram)) return;
  pendingInput_ = datagram;
  if (!handshakeDone_) ContinueHandshake();
  // Once the handshake is done, SSL_read handles the rest: application data,
  // close_notify, and a peer retransmitting its last flight because ours was
  // lost (OpenSSL answers by retransmitting).
  if (handshakeDone_) ReadApplicationData();
  // Whatever OpenSSL did not read of this datagram is dropped, so it is never
  // taken for the next one.
  pendingInput_ = {};
}

std::optional<std::chrono::milliseconds> DtlsTransport::TimeUntilTimeout() const {
  if (ssl_ == nullptr || state_ != State::kConnecting || handshakeDone_) return std::nullopt;
  timeval remaining{};
  if (DTLSv1_get_timeout(ssl_, &remaining) != 1) return std::nullopt;
  const long long microseconds =
      static_cast<long long>(remaining.tv_sec) * 1000000 + remaining.tv_usec;
  return std::chrono::milliseconds((microseconds + 999) / 1000);
}

void DtlsTransport::HandleTimeout() {
  const auto remaining = TimeUntilTimeout();
  if (!remaining || remaining->count() > 0) return;
  if (retransmissions_ >= kMaxRetransmissions) {
    Fail("DTLS handshake timed out after " + std::to_string(retransmissions_) + " retransmissions");
    return;
  }
  ERR_clear_error();
  const int result = DTLSv1_handle_timeout(ssl_);
  FlushOutput();
  if (state_ != State::kConnecting) return;
  if (result < 0) {
    FailFromSslError("DTLS handshake timed out", SSL_ERROR_SSL);
    return;
  }
  if (result > 0) ++retransmissions_;
}

bool DtlsTransport::SendApplicationData(std::span<const uint8_t> data) {
  if (state_ != State::kConnected || data.empty() || data.size() > SSL3_RT_MAX_PLAIN_LENGTH) {
    return false;
  }
  ERR_clear_error();
  const int written = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  FlushOutput();
  ERR_clear_error();
  return written == static_cast<int>(data.size());
}

void DtlsTransport::Close() {
  if (state_ == State::kClosed || state_ == State::kFailed) return;
  const bool sendCloseNotify = state_ == State::kConnected;
  state_ = State::kClosed;
  if (sendCloseNotify) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
    FlushOutput();
  }
}

bool DtlsTransport::LooksLikeDtls(std::span<const uint8_t> data) {
  return !data.empty() && data[0] >= 20 && data[0] <= 63;
}

void DtlsTransport::QueueDatagram(std::span<const uint8_t> datagram) {
  if (datagram.empty()) return;
  if (outgoingCount_ == outgoing_.size()) outgoing_.emplace_back();
  outgoing_[outgoingCount_].assign(datagram.begin(), datagram.end());
  ++outgoingCount_;
}

size_t DtlsTransport::ReadPendingInput(std::span<uint8_t> out) {
  // A datagram larger than OpenSSL's buffer is truncated, as a datagram
  // socket would; OpenSSL then discards the broken record.
  const size_t size = std::min(out.size(), pendingInput_.size());
  std::copy_n(pendingInput_.begin(), size, out.begin());
  pendingInput_ = {};
  return size;
}

unsigned int DtlsTransport::TimerCallback(SSL* ssl, unsigned int previousUs) {
  auto* transport = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  if (transport == nullptr) return 1000000;
  return transport->NextRetransmitTimeoutUs(previousUs);
}

unsigned int DtlsTransport::NextRetransmitTimeoutUs(unsigned int previousUs) {
  const auto initialUs = static_cast<unsigned long long>(initialRetransmitTimeout_.count()) * 1000;
  const auto maximumUs = static_cast<unsigned long long>(maxRetransmitTimeout_.count()) * 1000;
  if (previousUs == 0) {
    // OpenSSL starts a fresh timer: the peer answered our last flight, so the
    // retransmission budget starts over for the next one.
    retransmissions_ = 0;
    return static_cast<unsigned int>(std::min(initialUs, maximumUs));
  }
  return static_cast<unsigned int>(
      std::min(static_cast<unsigned long long>(previousUs) * 2, maximumUs));
}

void DtlsTransport::FlushOutput() {
  // A callback that makes OpenSSL write (SendApplicationData, Close) queues
  // behind the datagram being sent; the loop below picks it up.
  if (flushing_) return;
  flushing_ = true;
  for (size_t i = 0; i < outgoingCount_; ++i) {
    const std::span<const uint8_t> datagram(outgoing_[i].data(), outgoing_[i].size());
    listener_.OnDtlsSendPacket(datagram);
  }
  outgoingCount_ = 0;
  flushing_ = false;
}

void DtlsTransport::ContinueHandshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  const int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, result);
  FlushOutput();
  if (state_ != State::kConnecting) return;
  if (result == 1) {
    handshakeDone_ = true;
    minimumProtectedRecord_ = MinimumProtectedRecordSize(SSL_get_current_cipher(ssl_));
    CompleteIfVerified();
    return;
  }
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
  FailFromSslError("DTLS handshake failed", error);
}

void DtlsTransport::ReadApplicationData() {
  if (readBuffer_.empty()) readBuffer_.resize(SSL3_RT_MAX_PLAIN_LENGTH);
  while (state_ == State::kConnecting || state_ == State::kConnected) {
    ERR_clear_error();
    const int read = SSL_read(ssl_, readBuffer_.data(), static_cast<int>(readBuffer_.size()));
    const int error = read > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, read);
    FlushOutput();
    if (read > 0) {
      // Before the fingerprint is verified the peer is not authenticated:
      // its data is dropped.
      if (state_ == State::kConnected) {
        listener_.OnDtlsApplicationData(
            std::span<const uint8_t>(readBuffer_.data(), static_cast<size_t>(read)));
      }
      continue;
    }
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    if (state_ != State::kConnecting && state_ != State::kConnected) return;
    if (error == SSL_ERROR_ZERO_RETURN) {
      state_ = State::kClosed;
      ERR_clear_error();
      listener_.OnDtlsClosed();
      return;
    }
    FailFromSslError("DTLS read failed", error);
    return;
  }
}

bool DtlsTransport::HasAcceptableRecords(std::span<const uint8_t> datagram) const {
  size_t offset = 0;
  while (offset < datagram.size()) {
    const auto record = datagram.subspan(offset);
    if (record.size() < kRecordHeaderSize) return false;
    const unsigned epoch = (unsigned{record[3]} << 8) | record[4];
    const size_t length = (size_t{record[11]} << 8) | record[12];
    if (length > record.size() - kRecordHeaderSize) return false;
    if (epoch != 0 && length < minimumProtectedRecord_) return false;
    offset += kRecordHeaderSize + length;
  }
  return true;
}

void DtlsTransport::CompleteIfVerified() {
  if (!handshakeDone_ || state_ != State::kConnecting || !remoteFingerprintSet_) return;
  std::string reason;
  if (!VerifyRemoteFingerprint(reason)) {
    Fail(std::move(reason));
    return;
  }
  SrtpKeyMaterial keys;
  if (!ExportKeys(keys, reason)) {
    Fail(std::move(reason));
    return;
  }
  state_ = State::kConnected;
  listener_.OnDtlsConnected(keys);
}

bool DtlsTransport::VerifyRemoteFingerprint(std::string& reason) const {
  if (remoteDigest_ == nullptr) {
    reason = remoteFingerprintError_;
    return false;
  }
  X509* peerCertificate = SSL_get0_peer_certificate(ssl_);
  if (peerCertificate == nullptr) {
    reason = "the peer sent no certificate";
    return false;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digestLength = 0;
  if (X509_digest(peerCertificate, remoteDigest_, digest.data(), &digestLength) != 1) {
    reason = "cannot compute the peer certificate's digest";
    return false;
  }
  if (digestLength != remoteFingerprint_.size() ||
      CRYPTO_memcmp(digest.data(), remoteFingerprint_.data(), digestLength) != 0) {
    reason = "the peer certificate does not match the remote fingerprint";
    return false;
  }
  return true;
}

bool DtlsTransport::ExportKeys(SrtpKeyMaterial& keys, std::string& reason) const {
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (selected == nullptr) {
    reason = "the peer negotiated no SRTP protection profile";
    return false;
  }
  if (selected->id == SRTP_AEAD_AES_128_GCM) {
    keys.profile = SrtpProfile::kAeadAes128Gcm;
  } else if (selected->id == SRTP_AES128_CM_SHA1_80) {
    keys.profile = SrtpProfile::kAes128CmHmacSha1_80;
  } else {
    reason = "unexpected SRTP protection profile";
    return false;
  }
  // RFC 5764 4.2: client_write_SRTP_master_key | server_write_SRTP_master_key
  // | client_write_SRTP_master_salt | server_write_SRTP_master_salt.
  const size_t keyLength = SrtpMasterKeyLength(keys.profile);
  const size_t saltLength = SrtpMasterSaltLength(keys.profile);
  // Sized for the largest profile (AES-CM: 14-byte salts).
  std::array<uint8_t, 2 * SrtpMasterKeyAndSaltLength(SrtpProfile::kAes128CmHmacSha1_80)> material{};
  const size_t materialLength = 2 * (keyLength + saltLength);
  if (SSL_export_keying_material(ssl_, material.data(), materialLength, kSrtpExporterLabel,
                                 sizeof(kSrtpExporterLabel) - 1, nullptr, 0, 0) != 1) {
    reason = "cannot export the SRTP keying material";
    return false;
  }
  const auto clientKey = std::span(material).subspan(0, keyLength);
  const auto serverKey = std::span(material).subspan(keyLength, keyLength);
  const auto clientSalt = std::span(material).subspan(2 * keyLength, saltLength);
  const auto serverSalt = std::span(material).subspan(2 * keyLength + saltLength, saltLength);
  const bool isClient = role_ == DtlsRole::kClient;
  const auto assign = [](std::vector<uint8_t>& out, std::span<const uint8_t> key,
                         std::span<const uint8_t> salt) {
    out.assign(key.begin(), key.end());
    out.insert(out.end(), salt.begin(), salt.end());
  };
  assign(keys.localMasterKeyAndSalt, isClient ? clientKey : serverKey,
         isClient ? clientSalt : serverSalt);
  assign(keys.remoteMasterKeyAndSalt, isClient ? serverKey : clientKey,
         isClient ? serverSalt : clientSalt);
  OPENSSL_cleanse(material.data(), material.size());
  return true;
}

void DtlsTransport::Fail(std::string reason) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  state_ = State::kFailed;
  failureReason_ = std::move(reason);
  listener_.OnDtlsFailed(failureReason_);
}

void DtlsTransport::FailFromSslError(std::string_view what, int sslError) {
  std::string reason(what);
  const unsigned long code = ERR_peek_error();
  if (code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    reason += ": ";
    reason += text.data();
  } else {
    reason += ": SSL error " + std::to_string(sslError);
  }
  ERR_clear_error();
  Fail(std::move(reason));
}

}  // namespace myriad::server::transport
