// A fixed set of threads running queued tasks, with a bounded queue: the HTTP layer's handlers run
// here, off the I/O threads, so a handler that waits on the model never stalls other connections.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vit::serve {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  // Runs the tasks already queued, then joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when max_queued tasks are already waiting.
  bool TryPost(std::function<void()> task);

 private:
  void Work();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace vit::serve
