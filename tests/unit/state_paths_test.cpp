// Unit: what every platform's state paths have in common.
#include <gtest/gtest.h>

#include "state_paths.h"

namespace bb {
namespace {

TEST(StatePaths, TheStateDirHashIsStableAndTellsStateDirsApart) {
  EXPECT_EQ(state_dir_hash("/home/ann/.backburner"), state_dir_hash("/home/ann/.backburner"));
  EXPECT_NE(state_dir_hash("/home/ann/.backburner"), state_dir_hash("/home/ann/.backburner2"));
  // FNV-1a 64 of the empty string: the same in every build and version.
  EXPECT_EQ(state_dir_hash(""), 1469598103934665603ull);
}

}  // namespace
}  // namespace bb
