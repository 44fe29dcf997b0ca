#include "service_units.h"

#include <stdexcept>

#include "service_templates.h"

namespace bb::cli {

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// A word of an ExecStart= line: quoted when it holds anything systemd would split or unescape.
std::string systemd_word(const std::string& s) {
  std::string out = systemd_escape_specifiers(s);
  if (out.find_first_of(" \t\"'\\;") == std::string::npos) return out;
  std::string q = "\"";
  for (char c : out) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// Inserts `lines` right after the line `anchor` (which the template must contain).
std::string insert_after_line(std::string text, const std::string& anchor,
                              const std::string& lines) {
  const auto at = text.find("\n" + anchor + "\n");
  if (at == std::string::npos) throw std::logic_error("service template lacks the line " + anchor);
  text.insert(at + anchor.size() + 2, lines);
  return text;
}

}  // namespace

std::string systemd_escape_specifiers(const std::string& s) { return replace_all(s, "%", "%%"); }

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string systemd_service_unit(const UnitParams& p) {
  std::string unit = replace_all(std::string(templates::kSystemdServiceTemplate), "@BACKBURNERD@",
                                 systemd_word(p.daemon_path));
  if (p.environment.empty()) return unit;
  std::string env;
  for (const auto& [name, value] : p.environment) {
    std::string assignment = systemd_escape_specifiers(name + "=" + value);
    assignment = replace_all(replace_all(assignment, "\\", "\\\\"), "\"", "\\\"");
    env += "Environment=\"" + assignment + "\"\n";
  }
  return insert_after_line(std::move(unit), "[Service]", env);
}

std::string systemd_socket_unit(const UnitParams& p) {
  return replace_all(std::string(templates::kSystemdSocketTemplate), "@SOCKET_PATH@",
                     systemd_escape_specifiers(p.socket_path));
}

std::string launchd_plist(const UnitParams& p) {
  std::string plist = replace_all(std::string(templates::kLaunchdPlistTemplate), "@BACKBURNERD@",
                                  xml_escape(p.daemon_path));
  std::string extra;
  if (!p.log_path.empty()) {
    extra += "\t<key>StandardOutPath</key>\n\t<string>" + xml_escape(p.log_path) + "</string>\n";
    extra += "\t<key>StandardErrorPath</key>\n\t<string>" + xml_escape(p.log_path) + "</string>\n";
  }
  if (!p.environment.empty()) {
    extra += "\t<key>EnvironmentVariables</key>\n\t<dict>\n";
    for (const auto& [name, value] : p.environment) {
      extra += "\t\t<key>" + xml_escape(name) + "</key>\n\t\t<string>" + xml_escape(value) +
               "</string>\n";
    }
    extra += "\t</dict>\n";
  }
  // The template's outermost dict closes on the line before </plist>.
  const std::string closing = "</dict>\n</plist>";
  const auto at = plist.rfind(closing);
  if (at == std::string::npos) throw std::logic_error("the launchd template lacks </dict></plist>");
  plist.insert(at, extra);
  return plist;
}

}  // namespace bb::cli
