// The fast protocol-line writer against nlohmann's dump (with replacement of invalid UTF-8):
// the same bytes for every value, whatever its strings hold.
#include "json_write.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <vector>

namespace bb {
namespace {

using nlohmann::json;

std::string reference(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(JsonWrite, EscapesAsNlohmannDoes) {
  const std::string all_low = [] {
    std::string s;
    for (int c = 0; c < 0x80; ++c) s.push_back(static_cast<char>(c));
    return s;
  }();
  for (const json& j :
       {json(all_low), json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
        json("\"quoted\" \\ back/slash\x7F"), json(""), json::object(), json::array(),
        json(nullptr), json(true), json(false), json(0), json(-1),
        json(std::numeric_limits<std::int64_t>::min()),
        json(std::numeric_limits<std::uint64_t>::max()), json(1.5), json(0.1), json(1e300),
        json(-0.0), json{{"b", 1}, {"a", {1, "x", nullptr}}, {"\n", json::object()}}}) {
    EXPECT_EQ(json_text(j), reference(j)) << reference(j);
  }
}

TEST(JsonWrite, InvalidUtf8IsReplacedExactlyAsNlohmannReplacesIt) {
  for (const std::string s :
       {"\x80", "a\xC3", "\xC3(", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
        "\xF0\x9F\x98", "\xC0\xAF", "ok\xFF\xFEok", "\xE2\x82", "\xF5\x80\x80\x80"}) {
    EXPECT_EQ(json_text(json(s)), reference(json(s)));
    EXPECT_EQ(json_text(json{{s, s}}), reference(json{{s, s}}));
  }
}

// Random values with random bytes (mostly valid text, some not): the same bytes every time.
TEST(JsonWrite, RandomValuesMatchTheReference) {
  std::mt19937_64 rng(20261130);
  auto random_string = [&] {
    static const std::vector<std::string> pieces = {
        "a", "Z", " ", "\n", "\t", "\r", "\"", "\\", "/", "\x01", "\x1F", "\x7F", "\xC3\xA9",
        "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xEF\xBF\xBD", "\x1B[31m",
        // not valid UTF-8 from here on
        "\x80", "\xC3", "\xED\xA0\x80", "\xF8", "\xE0\x80", "\xF4\x90\x80\x80"};
    constexpr std::size_t kValid = 17;
    const bool valid_only = rng() % 2 == 0;
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) s += pieces[rng() % (valid_only ? kValid : pieces.size())];
    return s;
  };
  std::function<json(int)> random_value = [&](int depth) -> json {
    switch (rng() % (depth > 3 ? 6 : 8)) {
      case 0:
        return nullptr;
      case 1:
        return rng() % 2 == 0;
      case 2:
        return static_cast<std::int64_t>(rng());
      case 3:
        return static_cast<std::uint64_t>(rng());
      case 4:
        return static_cast<double>(static_cast<std::int64_t>(rng())) / 1e6;
      case 5:
        return random_string();
      case 6: {
        json a = json::array();
        for (int i = static_cast<int>(rng() % 5); i > 0; --i) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (int i = static_cast<int>(rng() % 5); i > 0; --i)
          o[random_string()] = random_value(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 20000; ++i) {
    const json j = random_value(0);
    ASSERT_EQ(json_text(j), reference(j)) << "case " << i;
  }
}

TEST(JsonWrite, AppendsToWhatIsThere) {
  std::string out = "prefix ";
  append_json(out, json{{"k", "v\n"}});
  EXPECT_EQ(out, "prefix {\"k\":\"v\\n\"}");
}

}  // namespace
}  // namespace bb
