// Windows only (included by _win.cpp files): an owning HANDLE, the one place that closes them.
#pragma once

#include <windows.h>

#include <utility>

namespace bb::win {

// Owns a kernel handle. Both null and INVALID_HANDLE_VALUE mean "none" (Win32 uses either,
// depending on the call that made it).
class Handle {
 public:
  Handle() = default;
  explicit Handle(HANDLE h) : h_(h) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) reset(std::exchange(o.h_, nullptr));
    return *this;
  }
  ~Handle() { reset(); }

  HANDLE get() const { return h_; }
  explicit operator bool() const { return valid(h_); }
  HANDLE release() { return std::exchange(h_, nullptr); }
  void reset(HANDLE h = nullptr) {
    if (valid(h_)) ::CloseHandle(h_);
    h_ = h;
  }

  static bool valid(HANDLE h) { return h != nullptr && h != INVALID_HANDLE_VALUE; }

 private:
  HANDLE h_ = nullptr;
};

}  // namespace bb::win
