#include "private_security_win.h"

#include <aclapi.h>
#include <sddl.h>

#include "pipe_identity_win.h"
#include "win_text_win.h"

namespace bb::win {

namespace {

std::wstring sddl_for(PrivateFor what) {
  const std::wstring user = widen(own_user_sid());
  switch (what) {
    case PrivateFor::directory:  // OICI: inherited by files (OI) and subdirectories (CI)
      return L"D:P(A;OICI;FA;;;" + user + L")(A;OICI;FA;;;SY)";
    case PrivateFor::file:
      return L"D:P(A;;FA;;;" + user + L")(A;;FA;;;SY)";
    case PrivateFor::pipe:
      return L"D:P(A;;GA;;;" + user + L")(A;;GA;;;SY)";
  }
  return {};
}

std::string sid_text(PSID sid) {
  wchar_t* text = nullptr;
  if (sid == nullptr || !::ConvertSidToStringSidW(sid, &text)) return {};
  std::string out = narrow(text);
  ::LocalFree(text);
  return out;
}

}  // namespace

std::unique_ptr<PrivateSecurity> PrivateSecurity::make(PrivateFor what) {
  std::unique_ptr<PrivateSecurity> s(new PrivateSecurity());
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
          sddl_for(what).c_str(), SDDL_REVISION_1, &s->sd_, nullptr))
    return nullptr;
  s->sa_.nLength = sizeof s->sa_;
  s->sa_.lpSecurityDescriptor = s->sd_;
  s->sa_.bInheritHandle = FALSE;
  return s;
}

PrivateSecurity::~PrivateSecurity() {
  if (sd_ != nullptr) ::LocalFree(sd_);
}

PACL PrivateSecurity::dacl() const {
  BOOL present = FALSE, defaulted = FALSE;
  PACL acl = nullptr;
  if (!::GetSecurityDescriptorDacl(sd_, &present, &acl, &defaulted) || !present) return nullptr;
  return acl;
}

std::string owner_sid(const std::filesystem::path& path) {
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                              nullptr, nullptr, nullptr, &sd) != ERROR_SUCCESS)
    return {};
  std::string out = sid_text(owner);
  ::LocalFree(sd);
  return out;
}

std::string open_to_others(const std::filesystem::path& path) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const DWORD rc = ::GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT,
                                           DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                                           nullptr, &sd);
  if (rc != ERROR_SUCCESS) return "cannot read its permissions: " + error_text(rc);
  std::string problem;
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  ::GetSecurityDescriptorControl(sd, &control, &revision);
  if (dacl == nullptr) {
    problem = "it has no access control list, so everyone may use it";
  } else {
    const std::string me = own_user_sid();
    for (DWORD i = 0; i < dacl->AceCount && problem.empty(); ++i) {
      ACE_HEADER* ace = nullptr;
      if (!::GetAce(dacl, i, reinterpret_cast<void**>(&ace)) ||
          ace->AceType != ACCESS_ALLOWED_ACE_TYPE)
        continue;
      const std::string who =
          sid_text(reinterpret_cast<PSID>(&reinterpret_cast<ACCESS_ALLOWED_ACE*>(ace)->SidStart));
      // SYSTEM, Administrators, and the "owner rights" / creator placeholders.
      if (who == me || who == "S-1-5-18" || who == "S-1-5-32-544" || who == "S-1-3-4" ||
          who == "S-1-3-0")
        continue;
      problem = "it grants access to " + who;
    }
  }
  ::LocalFree(sd);
  return problem;
}

std::string make_private(const std::filesystem::path& path, PrivateFor what) {
  auto s = PrivateSecurity::make(what);
  if (!s) return "cannot build a private access control list: " + last_error_text();
  const DWORD rc = ::SetNamedSecurityInfoW(const_cast<wchar_t*>(path.c_str()), SE_FILE_OBJECT,
                                           DACL_SECURITY_INFORMATION |
                                               PROTECTED_DACL_SECURITY_INFORMATION,
                                           nullptr, nullptr, s->dacl(), nullptr);
  return rc == ERROR_SUCCESS ? std::string() : error_text(rc);
}

}  // namespace bb::win
