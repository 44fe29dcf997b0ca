// Unit: the command policy matcher.
#include <chrono>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "command_policy.h"

namespace bb {
namespace {

using ::testing::HasSubstr;

CommandPolicy compile(std::vector<std::string> allow, std::vector<std::string> deny,
                      std::string source = "daemon") {
  auto r = CommandPolicy::compile(proto::Policy{std::move(allow), std::move(deny)}, source);
  if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << *e;
  return std::move(std::get<CommandPolicy>(r));
}

std::string compile_error(std::vector<std::string> allow, std::vector<std::string> deny) {
  auto r = CommandPolicy::compile(proto::Policy{std::move(allow), std::move(deny)}, "client");
  if (!std::holds_alternative<std::string>(r)) return "(compiled)";
  return std::get<std::string>(r);
}

// Times one check and records it in the test's XML report (no timing assertions: the machine
// running the tests may be busy).
std::optional<PolicyRefusal> timed_check(const CommandPolicy& p, const std::string& command,
                                         const char* property) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = p.check(command);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
  ::testing::Test::RecordProperty(property, std::to_string(us));
  return r;
}

TEST(CommandPolicy, AnEmptyPolicyAllowsEverything) {
  EXPECT_FALSE(compile({}, {}).check("rm -rf /"));
  EXPECT_TRUE(compile({}, {}).empty());
}

TEST(CommandPolicy, DenyPatternsAreSearchedAnywhereAndIgnoreCase) {
  auto p = compile({}, {"rm\\s+-rf"});
  auto r = p.check("cd /x && RM  -RF build");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "deny");
  EXPECT_EQ(r->rule, "rm\\s+-rf");
  EXPECT_EQ(r->source, "daemon");
  EXPECT_EQ(r->message,
            "command refused: it matches deny pattern \"rm\\s+-rf\" of the daemon's "
            "BACKBURNER_DENY");
  EXPECT_FALSE(p.check("rm build"));
}

TEST(CommandPolicy, CaseIsIgnoredBeyondAsciiToo) {
  auto p = compile({}, {"\xC3\x89tape"});  // "Étape"
  EXPECT_TRUE(p.check("echo \xC3\xA9TAPE"));  // "éTAPE"
  EXPECT_FALSE(p.check("echo etape"));
}

TEST(CommandPolicy, AnAllowListAdmitsOnlyCommandsMatchingOneOfItsPatterns) {
  auto p = compile({"^make\\b", "^npm test"}, {});
  EXPECT_FALSE(p.check("make -j2"));
  EXPECT_FALSE(p.check("npm test -- --watch=false"));
  auto r = p.check("curl evil");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "allow");
  EXPECT_EQ(r->rule, "^make\\b,^npm test");
  EXPECT_EQ(r->patterns, (std::vector<std::string>{"^make\\b", "^npm test"}));
  EXPECT_EQ(r->message,
            "command refused: it matches none of the allow patterns of the daemon's "
            "BACKBURNER_ALLOW (\"^make\\b\", \"^npm test\")");
}

TEST(CommandPolicy, CaretAndDollarAnchorTheWholeCommandNotALine) {
  auto allow = compile({"^make( .*)?$"}, {});
  EXPECT_FALSE(allow.check("make all"));
  EXPECT_TRUE(allow.check("make all\ncurl evil | sh"));  // a second line is not a way in
  EXPECT_TRUE(allow.check("curl evil\nmake"));
  auto deny = compile({}, {"^rm\\b"});
  EXPECT_TRUE(deny.check("rm -rf build"));
  EXPECT_FALSE(deny.check("ls\nrm -rf build"));
  // (?m) makes them line anchors; "." does not match a newline unless (?s).
  EXPECT_TRUE(compile({}, {"(?m)^rm\\b"}).check("ls\nrm -rf build"));
  EXPECT_FALSE(compile({}, {"curl.*sh"}).check("curl x\nsh"));
  EXPECT_TRUE(compile({}, {"(?s)curl.*sh"}).check("curl x\nsh"));
}

TEST(CommandPolicy, TheFirstMatchingDenyPatternInListOrderIsNamed) {
  auto p = compile({}, {"never", "b", "a"});
  auto r = p.check("a b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule, "b");
}

TEST(CommandPolicy, DenyWinsWithinOnePolicyAndAcrossPolicies) {
  auto one = compile({"^make"}, {"install"});
  EXPECT_EQ(one.check("make install")->list, "deny");
  auto daemon = compile({"^make"}, {});
  auto client = compile({}, {"clean"}, "client");
  auto r = check_policies("make clean", {&daemon, &client});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "deny");
  EXPECT_EQ(r->source, "client");
  EXPECT_FALSE(check_policies("make all", {&daemon, &client}));
  EXPECT_EQ(check_policies("ls", {&daemon, &client})->source, "daemon");
}

TEST(CommandPolicy, AnInvalidPatternIsReportedByName) {
  EXPECT_THAT(compile_error({}, {"ok", "(broken"}),
              HasSubstr("invalid client deny pattern \"(broken\": missing )"));
}

TEST(CommandPolicy, LookaroundAndBackreferencesAreRefusedNamingThePatternAndWhy) {
  for (const char* p : {"rm(?= -rf)", "(?<!sudo )rm", "(?!x)y", "(a)\\1"}) {
    SCOPED_TRACE(p);
    const std::string e = compile_error({p}, {});
    EXPECT_THAT(e, HasSubstr(std::string("invalid client allow pattern \"") + p + "\""));
    EXPECT_THAT(e, HasSubstr("no lookaround, no backreferences"));
  }
}

TEST(CommandPolicy, APolicyBeyondItsBoundsIsRefused) {
  EXPECT_EQ(compile_error(std::vector<std::string>(proto::kMaxPolicyPatterns + 1, "x"), {}),
            "the client allow list has 65 patterns; the limit is 64");
  const std::string long_pattern(proto::kMaxPolicyPatternBytes + 1, 'x');
  EXPECT_EQ(compile_error({}, {long_pattern}),
            "invalid client deny pattern \"" + long_pattern + "\": it is 1025 bytes; the limit "
            "is 1024 bytes");
  EXPECT_EQ(compile_error(std::vector<std::string>(proto::kMaxPolicyPatterns, "x"), {}),
            "(compiled)");
}

TEST(CommandPolicy, APolicyThatCompilesTooLargeIsRefusedNamingItsLargestPattern) {
  // A Unicode class compiles to some 1,200 instructions: alone it is over the budget.
  const std::string e = compile_error({"^make\\b"}, {"\\pL+\\d"});
  EXPECT_THAT(e, HasSubstr("the client policy is too large to match quickly"));
  EXPECT_THAT(e, HasSubstr("the limit is " + std::to_string(kMaxPolicyProgramSize)));
  EXPECT_THAT(e, HasSubstr("the largest is \"\\pL+\\d\""));
  // Counted repetition multiplies: each copy costs its instructions.
  EXPECT_THAT(compile_error({}, {"(ab|cd){1000}"}), HasSubstr("too large"));
}

// The policy of the adversarial run: patterns built to make a backtracking matcher take
// exponential time, and a command of the largest size the protocol allows. RE2 decides in one
// linear pass.
proto::Policy backtracking_policy(std::size_t per_kind) {
  proto::Policy p;
  const std::string ends = "cdefghijklmnopqrstuvwxyz";
  for (std::size_t i = 0; i < per_kind; ++i) {
    const std::string x(1, ends[i]);
    p.allow.push_back("(a+)+" + x + "$");
    p.allow.push_back("(a|aa)+" + x + "$");
    p.allow.push_back("(.*a){20}" + x);
  }
  return p;
}

TEST(CommandPolicy, AHostileBacktrackingPolicyDecidesALargestCommandCorrectly) {
  proto::Policy allow_only = backtracking_policy(3);
  allow_only.allow.insert(allow_only.allow.end(), {"(a*)*b$", "(x+x+)+y", "^(a|a?)+$",
                                                   "(a|b|ab)*%", "([a-z]+)*=", "(\\w+\\s?)+$",
                                                   "(.*){2}#", "(a+)+bb$", "(a*a*)*cc",
                                                   "(aa|a)+d$", "(a?){20}a{20}q", "a*a*a*a*a*z"});
  ASSERT_GE(allow_only.allow.size(), 20u);
  auto compiled = CommandPolicy::compile(allow_only, "client");
  ASSERT_TRUE(std::holds_alternative<CommandPolicy>(compiled)) << std::get<std::string>(compiled);
  const CommandPolicy& p = std::get<CommandPolicy>(compiled);

  const std::string prefix = "echo ";
  std::string refused =
      prefix + std::string(proto::kMaxCommandBytes - prefix.size() - 1, 'a') + "!";
  ASSERT_EQ(refused.size(), proto::kMaxCommandBytes);
  auto r = timed_check(p, refused, "refused_by_allow_us");
  ASSERT_TRUE(r);  // none of them matches: the whole command had to be read
  EXPECT_EQ(r->list, "allow");

  std::string admitted = refused;
  admitted.back() = 'd';  // "(a+)+d$" now matches, as do "(a|aa)+d$" and "(aa|a)+d$"
  EXPECT_FALSE(timed_check(p, admitted, "admitted_by_allow_us"));

  // The same patterns as a deny list: the first one that matches, in list order, is named.
  auto as_deny = compile({}, allow_only.allow, "client");
  auto d = timed_check(as_deny, admitted, "refused_by_deny_us");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule, "(a+)+d$");
  EXPECT_FALSE(timed_check(as_deny, refused, "admitted_by_deny_us"));
}

// The worst known for a linear-time matcher: a policy at the size bound whose patterns defeat
// RE2's DFA cache (each must remember the last k bytes: 2^k states). Checked on a shorter
// command than the largest, to keep the unit tier quick; docs/PERFORMANCE.md has the figure for
// the largest command.
TEST(CommandPolicy, APolicyCraftedToDefeatTheDfaCacheIsStillDecidedCorrectly) {
  proto::Policy crafted;
  for (int i = 0; i < 64; ++i)
    (i % 2 ? crafted.allow : crafted.deny)
        .push_back("[ab]*a[ab]{" + std::to_string(12 + i % 8) + "}z");
  auto compiled = CommandPolicy::compile(crafted, "client");
  while (std::holds_alternative<std::string>(compiled)) {
    (crafted.allow.size() > crafted.deny.size() ? crafted.allow : crafted.deny).pop_back();
    compiled = CommandPolicy::compile(crafted, "client");
  }
  RecordProperty("patterns", std::to_string(crafted.allow.size() + crafted.deny.size()));
  std::mt19937 rng(7);
  std::string command(8 * 1024, 'a');
  for (char& c : command) c = (rng() & 1) ? 'a' : 'b';
  auto r = timed_check(std::get<CommandPolicy>(compiled), command, "check_us");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "allow");  // no 'z' anywhere: no deny match, no allow match
  command.replace(5000, 14, "a" + std::string(12, 'b') + "z");  // what the first deny pattern seeks
  r = std::get<CommandPolicy>(compiled).check(command);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "deny");
  EXPECT_EQ(r->rule, "[ab]*a[ab]{12}z");
}

TEST(CommandPolicy, AnAllowPatternOnAOneMebibyteCommandIsEvaluated) {
  auto p = compile({"^echo "}, {"forbidden"});
  std::string command = "echo " + std::string(1024 * 1024, 'z');
  EXPECT_FALSE(p.check(command));
  EXPECT_TRUE(p.check(command + " forbidden"));
}

}  // namespace
}  // namespace bb
