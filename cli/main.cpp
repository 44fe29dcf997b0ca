// backburner: the command-line client for people. See docs/CLI.md.
#include "cli_app.h"

int main(int argc, char** argv) { return bb::cli::run_cli(argc, argv); }
