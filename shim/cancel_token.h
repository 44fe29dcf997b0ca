// Cancellation of one in-flight tool call, shared by the thread that reads stdin (which cancels
// on notifications/cancelled or at EOF) and the worker running the call (which installs a hook
// that aborts whatever it is blocked on, e.g. shuts down its daemon connection).
#pragma once

#include <functional>
#include <mutex>

namespace bb::shim {

class CancelToken {
 public:
  bool cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }

  // Marks the call cancelled and runs the hook, if any. Idempotent.
  void cancel() {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    if (hook_) hook_();
  }

  // Installs the hook that aborts the current blocking step; runs it at once if already
  // cancelled. The hook runs with the token's lock held, so after clear_hook() returns it is not
  // running and will not run: the worker may then release what the hook touches.
  void set_hook(std::function<void()> hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
    if (cancelled_ && hook_) hook_();
  }
  void clear_hook() {
    std::lock_guard lock(mutex_);
    hook_ = nullptr;
  }

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::function<void()> hook_;
};

}  // namespace bb::shim
