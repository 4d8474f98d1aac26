// Puts one file's bytes into blobs/<etag>: downloaded into blobs/<etag>.incomplete under a lock,
// resumed with a Range request when an earlier run was cut, checked against the expected size (and
// the SHA-256 that an LFS etag is), then renamed into place so that a blob is never half-written.
#pragma once

#include <cstdint>
#include <string>

#include "hub/session.h"

namespace vit::hub {

struct BlobRequest {
  std::string filename;  // the repository file, for messages and the progress bar
  std::string url;       // where the bytes are: the resolve URL, or the CDN location of an LFS file
  std::string etag;
  int64_t size = 0;
};

void FetchBlob(HubSession& session, const BlobRequest& request);

}  // namespace vit::hub
