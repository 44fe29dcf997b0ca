// Windows only: the security descriptors that make the daemon's things private to its user.
// Each has a protected DACL (nothing inherited from above) with exactly two entries: the
// current user and SYSTEM, full control. Administrators can still take ownership, as they can of
// anything; nobody else gets in.
#pragma once

#include <windows.h>

#include <filesystem>
#include <memory>
#include <string>

namespace bb::win {

enum class PrivateFor {
  directory,  // inherited by every file and directory created inside
  file,
  pipe,
};

// A SECURITY_ATTRIBUTES (not inheritable as a handle) carrying the private descriptor; valid
// while the object lives. Null if it could not be built.
class PrivateSecurity {
 public:
  static std::unique_ptr<PrivateSecurity> make(PrivateFor what);
  ~PrivateSecurity();
  SECURITY_ATTRIBUTES* attributes() { return &sa_; }
  PACL dacl() const;

 private:
  PrivateSecurity() = default;
  SECURITY_ATTRIBUTES sa_{};
  PSECURITY_DESCRIPTOR sd_ = nullptr;
};

// Empty if `path`'s DACL is protected and allows no one but the current user and SYSTEM (and
// Administrators, who can take anything anyway); else what is wrong with it.
std::string open_to_others(const std::filesystem::path& path);
// The SID of `path`'s owner, or empty.
std::string owner_sid(const std::filesystem::path& path);
// Replaces `path`'s DACL with the private one. Empty on success, else why not.
std::string make_private(const std::filesystem::path& path, PrivateFor what);

}  // namespace bb::win
