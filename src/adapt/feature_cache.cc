#include "adapt/feature_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/hash.h"
#include "vit/error.h"

namespace vit::adapt {
namespace {

constexpr char kFileMagic[8] = {'V', 'I', 'T', 'F', 'E', 'A', 'T', '2'};
constexpr uint32_t kRecordMagic = 0x31434552;  // "REC1"
constexpr uint32_t kMaxPathBytes = 1 << 16;
constexpr uint32_t kMaxKeyBytes = 1 << 16;
// magic, path length, size, mtime, inode, ctime, content hash
constexpr size_t kRecordHeadBytes = 4 + 4 + 8 + 8 + 8 + 8 + 8;

template <typename T>
void Put(std::vector<unsigned char>& out, const T& value) {
  const auto* p = reinterpret_cast<const unsigned char*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

template <typename T>
T Get(const unsigned char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

uint32_t Crc(const unsigned char* p, size_t n) {
  return static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(n)));
}

std::string SystemError(const std::string& what, const std::filesystem::path& file) {
  return file.string() + ": " + what + ": " + std::strerror(errno);
}

void WriteAll(int fd, const std::vector<unsigned char>& bytes, const std::filesystem::path& file) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(SystemError("cannot write the feature cache", file), ErrorKind::kIo);
    done += static_cast<size_t>(n);
  }
}

class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// 64-bit FNV-1a of a file's bytes, never 0 (0 means unknown); 0 when it cannot be read.
uint64_t ContentHash(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t h = 0xcbf29ce484222325ull;
  unsigned char buffer[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return 0;
    }
    for (ssize_t i = 0; i < n; ++i) h = (h ^ buffer[i]) * 0x100000001b3ull;
  }
  ::close(fd);
  return h == 0 ? 1 : h;
}

}  // namespace

FileStamp StampOf(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    throw Error(SystemError("cannot stat", file), errno == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo);
  return {static_cast<uint64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + static_cast<int64_t>(st.st_mtim.tv_nsec),
          static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + static_cast<int64_t>(st.st_ctim.tv_nsec)};
}

FeatureCache::FeatureCache(const std::filesystem::path& dir, const std::string& model_key, int64_t dim)
    : model_key_(model_key), dim_(dim) {
  if (dim < 1 || dim > (1 << 20)) throw Error("feature cache: bad vector width " + std::to_string(dim), ErrorKind::kInternal);
  if (model_key.size() > kMaxKeyBytes) throw Error("feature cache: model key too long", ErrorKind::kInternal);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the feature cache folder: " + ec.message(), ErrorKind::kIo);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.vitfeat", static_cast<unsigned long long>(core::Fnv1a64(model_key)));
  file_ = dir / name;
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(SystemError("cannot open the feature cache", file_), ErrorKind::kIo);
  try {
    Load();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

FeatureCache::~FeatureCache() {
  if (fd_ >= 0) ::close(fd_);
}

void FeatureCache::Load() {
  FileLock lock(fd_);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw Error(SystemError("cannot stat the feature cache", file_), ErrorKind::kIo);
  std::vector<unsigned char> bytes(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::pread(fd_, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);

  std::vector<unsigned char> header(kFileMagic, kFileMagic + 8);
  Put(header, static_cast<uint32_t>(dim_));
  Put(header, static_cast<uint32_t>(model_key_.size()));
  header.insert(header.end(), model_key_.begin(), model_key_.end());

  const bool header_matches = bytes.size() >= header.size() && std::memcmp(bytes.data(), header.data(), header.size()) == 0;
  if (!header_matches) {
    // Empty, another model's (a hash collision), another width, or damaged: start afresh.
    dropped_bytes_ = bytes.size();
    if (::ftruncate(fd_, 0) != 0) throw Error(SystemError("cannot reset the feature cache", file_), ErrorKind::kIo);
    WriteAll(fd_, header, file_);
    return;
  }

  const size_t vector_bytes = static_cast<size_t>(dim_) * sizeof(float);
  size_t pos = header.size();
  std::vector<float> vector(static_cast<size_t>(dim_));
  while (pos < bytes.size()) {
    const size_t left = bytes.size() - pos;
    if (left < kRecordHeadBytes) break;
    const unsigned char* p = bytes.data() + pos;
    if (Get<uint32_t>(p) != kRecordMagic) break;
    const auto path_len = Get<uint32_t>(p + 4);
    if (path_len > kMaxPathBytes) break;
    const size_t record_bytes = kRecordHeadBytes + path_len + vector_bytes + 4;
    if (left < record_bytes) break;
    if (Get<uint32_t>(p + record_bytes - 4) != Crc(p + 4, record_bytes - 8)) break;
    const FileStamp stamp{Get<uint64_t>(p + 8), Get<int64_t>(p + 16), Get<uint64_t>(p + 24), Get<int64_t>(p + 32)};
    const auto content = Get<uint64_t>(p + 40);
    const std::string path(reinterpret_cast<const char*>(p + kRecordHeadBytes), path_len);
    std::memcpy(vector.data(), p + kRecordHeadBytes + path_len, vector_bytes);
    Remember(path, stamp, content, vector.data());
    pos += record_bytes;
  }
  if (pos < bytes.size()) {
    dropped_bytes_ = bytes.size() - pos;
    if (::ftruncate(fd_, static_cast<off_t>(pos)) != 0)
      throw Error(SystemError("cannot cut the damaged tail of the feature cache", file_), ErrorKind::kIo);
  }
}

void FeatureCache::Remember(const std::string& path, const FileStamp& stamp, uint64_t content, const float* vector) {
  auto it = entries_.find(path);
  if (it == entries_.end()) {
    it = entries_.emplace(path, Entry{stamp, content, vectors_.size()}).first;
    vectors_.resize(vectors_.size() + static_cast<size_t>(dim_));
  }
  it->second.stamp = stamp;  // a later record of the same path supersedes the earlier one
  it->second.content = content;
  std::memcpy(vectors_.data() + it->second.offset, vector, static_cast<size_t>(dim_) * sizeof(float));
}

const float* FeatureCache::Find(const std::string& path, const FileStamp& stamp) const {
  const auto it = entries_.find(path);
  if (it == entries_.end() || it->second.stamp.size != stamp.size) return nullptr;
  if (!(it->second.stamp == stamp)) {
    // Copied, restored, touched or rewritten: the bytes decide.
    if (it->second.content == 0 || ContentHash(path) != it->second.content) return nullptr;
  }
  return vectors_.data() + it->second.offset;
}

void FeatureCache::Append(const std::string& path, const FileStamp& stamp, const float* vector) {
  if (path.size() > kMaxPathBytes) return;  // not cacheable; computing it again is only slower
  // The bytes now, if the file still has the stat the vector was computed under.
  uint64_t content = ContentHash(path);
  try {
    if (!(StampOf(path) == stamp)) content = 0;
  } catch (const Error&) {
    content = 0;
  }
  std::vector<unsigned char> record;
  Put(record, kRecordMagic);
  Put(record, static_cast<uint32_t>(path.size()));
  Put(record, stamp.size);
  Put(record, stamp.mtime_ns);
  Put(record, stamp.inode);
  Put(record, stamp.ctime_ns);
  Put(record, content);
  record.insert(record.end(), path.begin(), path.end());
  const auto* v = reinterpret_cast<const unsigned char*>(vector);
  record.insert(record.end(), v, v + static_cast<size_t>(dim_) * sizeof(float));
  Put(record, Crc(record.data() + 4, record.size() - 4));
  {
    FileLock lock(fd_);
    WriteAll(fd_, record, file_);
  }
  Remember(path, stamp, content, vector);
}

}  // namespace vit::adapt
