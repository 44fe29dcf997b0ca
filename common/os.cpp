#include "os.h"

#include <vector>

namespace bb::os {

std::string random_id(std::size_t chars) {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::vector<unsigned char> bytes(chars);
  random_bytes(bytes);
  std::string id;
  id.reserve(chars);
  for (unsigned char b : bytes) id += kAlphabet[b % 32];
  return id;
}

}  // namespace bb::os
