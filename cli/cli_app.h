// The `backburner` program: global options (--help, --version), command dispatch, and the edge
// where any exception a library throws becomes a message and exit status 1.
#pragma once

namespace bb::cli {

int run_cli(int argc, char** argv);

}  // namespace bb::cli
