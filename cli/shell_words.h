// Turning argument words back into one shell command: `backburner start -- sh -c 'echo a'`
// must run exactly those words, as nohup, timeout, systemd-run, tsp and nq do.
#pragma once

#include <string>
#include <vector>

namespace bb::cli {

// `word` as the shell reads it back: unchanged when it holds only characters the shell takes
// literally, else in single quotes (a quote inside becomes '\'').
std::string shell_quote(const std::string& word);

// One word is a shell command of its own and is kept as it is ("make test && make install").
// Several words are each quoted, so the task's shell sees the same words: the readable quoted
// form is what the task records as its command.
std::string command_from_words(const std::vector<std::string>& words);

}  // namespace bb::cli
