// Unit: the command policy matcher.
#include <chrono>

#include <gtest/gtest.h>

#include "command_policy.h"

namespace bb {
namespace {

CommandPolicy compile(std::vector<std::string> allow, std::vector<std::string> deny,
                      std::string source = "daemon") {
  auto r = CommandPolicy::compile(proto::Policy{std::move(allow), std::move(deny)}, source);
  return std::move(std::get<CommandPolicy>(r));
}

TEST(CommandPolicy, AnEmptyPolicyAllowsEverything) {
  EXPECT_FALSE(compile({}, {}).check("rm -rf /"));
}

TEST(CommandPolicy, DenyPatternsAreSearchedAnywhereAndIgnoreCase) {
  auto p = compile({}, {"rm\\s+-rf"});
  auto r = p.check("cd /x && RM  -RF build");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "deny");
  EXPECT_EQ(r->rule, "rm\\s+-rf");
  EXPECT_EQ(r->source, "daemon");
  EXPECT_FALSE(p.check("rm build"));
}

TEST(CommandPolicy, AnAllowListAdmitsOnlyCommandsMatchingOneOfItsPatterns) {
  auto p = compile({"^make\\b", "^npm test"}, {});
  EXPECT_FALSE(p.check("make -j2"));
  EXPECT_FALSE(p.check("npm test -- --watch=false"));
  auto r = p.check("curl evil");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->list, "allow");
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
  auto r = CommandPolicy::compile(proto::Policy{{}, {"ok", "(broken"}}, "client");
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("(broken"), std::string::npos);
}

TEST(CommandPolicy, APathologicalPatternOnAOneMebibyteCommandRefusesWithoutCrashing) {
  auto p = compile({}, {"(a|aa)+b", "(x+x+)+y"});
  std::string command(1024 * 1024, 'a');
  auto r = p.check(command);
  ASSERT_TRUE(r);  // fail closed: a deny rule that cannot be evaluated refuses
  EXPECT_NE(r->message.find("too complex"), std::string::npos);
}

TEST(CommandPolicy, AnAllowPatternOnAOneMebibyteCommandIsEvaluated) {
  auto p = compile({"^echo "}, {"forbidden"});
  std::string command = "echo " + std::string(1024 * 1024, 'z');
  EXPECT_FALSE(p.check(command));
  EXPECT_TRUE(p.check(command + " forbidden"));
}

}  // namespace
}  // namespace bb
