// Reading a task's output through the daemon (task.output), in the ways `backburner logs` needs:
// a tail, a head, everything written so far, what this user has not read yet, matching lines,
// and following new output until the task ends.
// The daemon's reads never split a UTF-8 character and never load the whole log, so the CLI
// reads in bounded chunks and writes each one out as it arrives.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "daemon_link.h"
#include "protocol.h"

namespace bb::cli {

// Receives each chunk of output, in order. Returns false to stop reading.
using OutputSink = std::function<bool(const std::string&)>;

// One task.output request.
std::variant<proto::OutputResult, RpcError> read_output(DaemonLink& link,
                                                        const proto::OutputParams& params);

// The last `lines` lines (at most the protocol's byte cap).
std::variant<proto::OutputResult, RpcError> read_tail(DaemonLink& link, const std::string& task_id,
                                                      int lines);

// Everything from `offset` up to the log's end as of the first read (a task that keeps writing
// cannot keep this going forever). Returns the offset after the last byte passed to `sink`.
std::variant<std::uint64_t, RpcError> read_range(DaemonLink& link, const std::string& task_id,
                                                 std::uint64_t offset, const OutputSink& sink);

// Passes output from `offset` to `sink` as the task writes it, until the task has ended and all
// of its output has been passed on. Sleeps between reads on a second connection subscribed to
// the task's events (events.subscribe): the daemon wakes it when the log grows or the task ends,
// so it never polls. Returns nullopt on success, else a message.
std::optional<std::string> follow_output(DaemonLink& link, const EnvLookup& env,
                                         const std::string& task_id, std::uint64_t offset,
                                         const OutputSink& sink);

}  // namespace bb::cli
