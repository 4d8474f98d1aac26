#include "hub/blob_fetch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "hub/file_lock.h"
#include "hub/progress.h"
#include "hub/sha256.h"
#include "vit/error.h"

namespace vit::hub {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxAttempts = 5;     // per run; each retry must have made progress
constexpr int kMaxRedirects = 10;

class File {
 public:
  explicit File(const fs::path& path) : path_(path), fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666)) {
    if (fd_ < 0) Fail("open");
  }
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int64_t Size() const {
    struct stat info {};
    if (::fstat(fd_, &info) != 0) Fail("stat");
    return info.st_size;
  }
  void Truncate(int64_t size) {
    if (::ftruncate(fd_, size) != 0) Fail("truncate");
  }
  void WriteAt(const char* data, size_t size, int64_t offset) {
    while (size > 0) {
      const ssize_t written = ::pwrite(fd_, data, size, offset);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) Fail("write");
      data += written;
      size -= static_cast<size_t>(written);
      offset += written;
    }
  }
  // Feeds the first `size` bytes to `hash`: the part an earlier run already wrote.
  void HashPrefix(int64_t size, Sha256& hash) const {
    std::vector<char> buffer(1 << 20);
    for (int64_t offset = 0; offset < size;) {
      const size_t want = static_cast<size_t>(std::min<int64_t>(size - offset, static_cast<int64_t>(buffer.size())));
      const ssize_t got = ::pread(fd_, buffer.data(), want, offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) Fail("read");
      hash.Update(buffer.data(), static_cast<size_t>(got));
      offset += got;
    }
  }
  void Close() {
    if (::close(fd_) != 0) {
      fd_ = -1;
      Fail("close");
    }
    fd_ = -1;
  }

 private:
  [[noreturn]] void Fail(const char* what) const {
    throw Error("cannot " + std::string(what) + " " + path_.string() + ": " + std::strerror(errno), ErrorKind::kIo);
  }
  fs::path path_;
  int fd_;
};

// One download of the missing tail, following redirects itself so the token never leaves the hub.
class Download {
 public:
  Download(HubSession& session, const BlobRequest& request, File& file, int64_t offset)
      : session_(session),
        request_(request),
        file_(file),
        offset_(offset),
        check_sha256_(IsSha256Hex(request.etag)),
        bar_(request.filename, request.size, offset, session.settings.progress) {
    if (check_sha256_ && offset_ > 0) file_.HashPrefix(offset_, hash_);
  }

  int64_t offset() const { return offset_; }
  ProgressBar& bar() { return bar_; }
  std::string Sha256Hex() { return hash_.HexDigest(); }
  bool checks_sha256() const { return check_sha256_; }

  // Fetches bytes [offset, size). Throws HubUnreachable when the transfer breaks.
  void FetchRest() {
    std::string url = request_.url;
    const std::string hub_origin = UrlOrigin(session_.settings.endpoint);
    bool send_token = UrlOrigin(url) == hub_origin;
    for (int hop = 0; hop <= kMaxRedirects; ++hop) {
      started_ = false;
      const HttpResponse response = session_.http.Get(
          url, send_token ? session_.settings.token : "", offset_,
          [this](const HttpResponse& head, const char* data, size_t size) { Receive(head, data, size); });
      if (response.IsRedirect()) {
        // A signed CDN URL carries its own authorisation; the hub token must not follow it there.
        if (UrlOrigin(response.redirect_url) != UrlOrigin(url)) send_token = false;
        url = response.redirect_url;
        continue;
      }
      if (response.status == 416 && offset_ > 0) {
        // The server does not accept our resume point: start the file over.
        Restart();
        continue;
      }
      if (response.status >= 200 && response.status < 300) {
        if (!started_) StartBody(response);
        if (offset_ < request_.size) {
          throw HubUnreachable("the download of " + request_.filename + " ended after " + std::to_string(offset_) +
                               " of " + std::to_string(request_.size) + " bytes");
        }
        return;
      }
      if (response.status == 429 || response.status >= 500) {
        throw HubUnreachable("downloading " + request_.filename + " from " + UrlForMessage(url) + " failed (HTTP " +
                             std::to_string(response.status) + ")");
      }
      const ErrorKind kind = response.status == 401 || response.status == 403 ? ErrorKind::kUnauthorized
                             : response.status == 404                         ? ErrorKind::kNotFound
                                                                              : ErrorKind::kIo;
      throw Error("downloading " + request_.filename + " from " + UrlForMessage(url) + " failed (HTTP " +
                      std::to_string(response.status) + ")",
                  kind);
    }
    throw Error("too many redirects while downloading " + request_.filename + " from " + UrlForMessage(request_.url),
                ErrorKind::kIo);
  }

 private:
  void Restart() {
    file_.Truncate(0);
    offset_ = 0;
    hash_.Reset();
    bar_.Update(0);
  }

  // A 206 must continue exactly where we are; a 200 is the whole file again.
  void StartBody(const HttpResponse& head) {
    started_ = true;
    if (offset_ == 0) return;
    if (head.status == 206) {
      const std::string expected = "bytes " + std::to_string(offset_) + "-";
      if (head.Header("content-range").rfind(expected, 0) == 0) return;
      throw Error("the server answered the resume of " + request_.filename + " at byte " + std::to_string(offset_) +
                      " with Content-Range '" + head.Header("content-range") + "'",
                  ErrorKind::kIo);
    }
    Restart();
  }

  void Receive(const HttpResponse& head, const char* data, size_t size) {
    if (!started_) StartBody(head);
    if (static_cast<int64_t>(size) > request_.size - offset_) {
      throw Error("the server sent more than the " + std::to_string(request_.size) + " bytes announced for " +
                      request_.filename,
                  ErrorKind::kIo);
    }
    file_.WriteAt(data, size, offset_);
    if (check_sha256_) hash_.Update(data, size);
    offset_ += static_cast<int64_t>(size);
    bar_.Update(offset_);
  }

  HubSession& session_;
  const BlobRequest& request_;
  File& file_;
  int64_t offset_;
  bool check_sha256_;
  bool started_ = false;
  Sha256 hash_;
  ProgressBar bar_;
};

// Fails before the transfer rather than at the end of it.
void CheckFreeSpace(const fs::path& dir, int64_t needed, const std::string& filename) {
  struct statvfs info {};
  if (::statvfs(dir.c_str(), &info) != 0) return;  // unknown: let the writes tell
  const auto available = static_cast<int64_t>(info.f_bavail) * static_cast<int64_t>(info.f_frsize);
  if (available < needed) {
    throw Error("not enough disk space for " + filename + " in " + dir.string() + ": " + FormatBytes(static_cast<double>(needed)) +
                    " needed, " + FormatBytes(static_cast<double>(available)) + " free (set HF_HUB_CACHE to another disk)",
                ErrorKind::kIo);
  }
}

bool Exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

}  // namespace

void FetchBlob(HubSession& session, const BlobRequest& request) {
  const fs::path blob = session.cache.BlobPath(request.etag);
  if (Exists(blob)) return;
  const bool show = session.settings.progress;
  FileLock lock(session.cache.LockPath(request.etag), [&] {
    if (show) std::fprintf(stderr, "waiting for another process downloading %s\n", request.filename.c_str());
  });
  if (Exists(blob)) return;  // the other process finished it while we waited

  std::error_code error;
  fs::create_directories(blob.parent_path(), error);
  if (error) throw Error("cannot create folder " + blob.parent_path().string() + ": " + error.message(), ErrorKind::kIo);
  const fs::path incomplete = session.cache.IncompletePath(request.etag);
  File file(incomplete);
  int64_t offset = file.Size();
  if (offset > request.size) {
    file.Truncate(0);
    offset = 0;
  }

  CheckFreeSpace(blob.parent_path(), request.size - offset, request.filename);

  Download download(session, request, file, offset);
  for (int attempt = 1; download.offset() < request.size; ++attempt) {
    const int64_t before = download.offset();
    try {
      download.FetchRest();
    } catch (const HubUnreachable& failure) {
      if (download.offset() > before && attempt < kMaxAttempts) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
        continue;
      }
      throw HubUnreachable(std::string(failure.what()) + "; the " + std::to_string(download.offset()) +
                           " bytes received are kept in " + incomplete.string() + " and the next run resumes there");
    }
  }
  if (file.Size() != request.size) {
    throw Error(incomplete.string() + " has " + std::to_string(file.Size()) + " bytes, expected " +
                    std::to_string(request.size),
                ErrorKind::kIo);
  }
  if (download.checks_sha256()) {
    const std::string digest = download.Sha256Hex();
    if (digest != request.etag) {
      file.Close();
      fs::remove(incomplete, error);
      throw Error("the download of " + request.filename + " is corrupt: its SHA-256 is " + digest +
                      " but the hub says " + request.etag + "; it was deleted, run again to download it anew",
                  ErrorKind::kIo);
    }
  }
  file.Close();
  if (std::rename(incomplete.c_str(), blob.c_str()) != 0) {
    throw Error("cannot move " + incomplete.string() + " to " + blob.string() + ": " + std::strerror(errno),
                ErrorKind::kIo);
  }
  download.bar().Finish();
}

}  // namespace vit::hub
