#!/usr/bin/env python3
"""Checks of backburner's service definitions, run by ctest (tests/packaging/CMakeLists.txt).

Each check renders the definitions twice: as the packages ship them (the templates in
packaging/, filled in the way the install step fills them) and as `backburner service install
--dry-run` would write them for a user (parsed from its output), and validates both.

  systemd               both units pass `systemd-analyze --user verify` with no diagnostics
  launchd               the plist parses as a property list with the keys launchd needs
  windows               the plan runs the packaged PowerShell scripts, which exist
  dry-run-is-harmless   every subcommand on every OS prints a plan and writes nothing
  install-tree          `cmake --install` puts binaries, units and docs under a prefix

Exit status: 0 passed, 1 failed (the reason on stderr), 77 skipped (a tool is missing).
"""
import argparse
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
LABEL = "dev.backburner.backburnerd"


class Failed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failed(message)


def run_cli(args, cli, home, extra_env=None):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    env["HOME"] = home
    env.update(extra_env or {})
    p = subprocess.run([cli] + args, env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"backburner {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.stdout


def planned_files(output):
    """{path: content} for every `write PATH` of a dry-run plan (content lines start '    | ')."""
    files, current = {}, None
    for line in output.splitlines():
        m = re.match(r"^  write (.+)$", line)
        if m:
            current = m.group(1)
            files[current] = []
        elif current is not None and line.startswith("    | "):
            files[current].append(line[6:])
        elif current is not None and line == "    |":
            files[current].append("")
        else:
            current = None
    return {p: "\n".join(lines) + "\n" for p, lines in files.items()}


def planned_commands(output):
    return [m.group(1) for m in re.finditer(r"^  run: (.+?)(?:  \(.*\))?$", output, re.M)]


def render_template(path, daemon):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text.replace("@BACKBURNERD@", daemon).replace(
        "@SOCKET_PATH@", "%h/.backburner/backburnerd.sock")


def check_systemd(a):
    tool = shutil.which("systemd-analyze")
    if not tool:
        print("systemd-analyze is not installed (Debian package: systemd)", file=sys.stderr)
        return SKIP
    with tempfile.TemporaryDirectory() as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        units = {}
        for name in ("backburnerd.service", "backburnerd.socket"):
            units["packaged/" + name] = render_template(
                os.path.join(a.source, "packaging/systemd", name + ".in"), a.daemon)
        out = run_cli(["service", "install", "--dry-run", "--os", "linux", "--socket"], a.cli, home,
                      {"BACKBURNER_HOME": os.path.join(tmp, "state dir")})
        for path, content in planned_files(out).items():
            units["cli/" + os.path.basename(path)] = content
        check(len(units) == 4, f"expected 2 packaged + 2 planned units, got {sorted(units)}")
        for key, content in units.items():
            check("KillMode=process" in content or key.endswith(".socket"),
                  f"{key}: the service must use KillMode=process so tasks outlive the daemon")
        check("ListenStream=" + os.path.join(tmp, "state dir", "backburnerd.sock") in
              units["cli/backburnerd.socket"], "the planned socket unit listens where clients connect")
        for group in ("packaged", "cli"):
            d = os.path.join(tmp, group)
            os.makedirs(d)
            for key, content in units.items():
                if key.startswith(group + "/"):
                    with open(os.path.join(d, os.path.basename(key)), "w", encoding="utf-8") as f:
                        f.write(content)
            runtime = os.path.join(tmp, "runtime-" + group)
            os.makedirs(runtime, mode=0o700)
            env = dict(os.environ, XDG_RUNTIME_DIR=runtime, HOME=home, SYSTEMD_LOG_LEVEL="notice")
            files = [os.path.join(d, n) for n in ("backburnerd.service", "backburnerd.socket")]
            p = subprocess.run([tool, "--user", "verify"] + files, env=env, capture_output=True,
                               text=True, timeout=60)
            diagnostics = (p.stdout + p.stderr).strip()
            check(p.returncode == 0 and not diagnostics,
                  f"systemd-analyze verify ({group}) exited {p.returncode}:\n{diagnostics}")
            print(f"{group}: systemd-analyze --user verify passed")
    return 0


def check_plist_content(data, daemon, where):
    check(data.get("Label") == LABEL, f"{where}: Label is {data.get('Label')!r}")
    check(data.get("ProgramArguments") == [daemon, "--foreground"],
          f"{where}: ProgramArguments is {data.get('ProgramArguments')!r}")
    check(data.get("RunAtLoad") is True, f"{where}: RunAtLoad must be true")
    check(data.get("KeepAlive") == {"SuccessfulExit": False},
          f"{where}: KeepAlive must restart only after a failure")
    check(data.get("AbandonProcessGroup") is True,
          f"{where}: AbandonProcessGroup must be true so tasks outlive the daemon")


def check_launchd(a):
    packaged = render_template(os.path.join(a.source, "packaging/launchd/backburnerd.plist.in"),
                               "/usr/local/bin/backburnerd")
    check_plist_content(plistlib.loads(packaged.encode()), "/usr/local/bin/backburnerd", "packaged")
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state & <more>")
        out = run_cli(["service", "install", "--dry-run", "--os", "macos"], a.cli, tmp,
                      {"BACKBURNER_HOME": state})
        files = planned_files(out)
        plist_path = os.path.join(tmp, "Library/LaunchAgents", LABEL + ".plist")
        check(list(files) == [plist_path], f"planned files: {list(files)}")
        data = plistlib.loads(files[plist_path].encode())
        check_plist_content(data, os.path.abspath(a.daemon), "planned")
        check(data.get("EnvironmentVariables") == {"BACKBURNER_HOME": state},
              f"planned EnvironmentVariables: {data.get('EnvironmentVariables')!r}")
        log = os.path.join(state, "backburnerd.log")
        check(data.get("StandardErrorPath") == log, "the daemon's stderr goes to the state dir's log")
        cmds = planned_commands(out)
        uid = str(os.getuid())
        check(f"launchctl bootstrap gui/{uid} {plist_path}" in cmds, f"no launchctl bootstrap in {cmds}")
        check(f"launchctl bootout gui/{uid}/{LABEL}" in cmds, f"no launchctl bootout in {cmds}")
        un = planned_commands(run_cli(["service", "uninstall", "--dry-run", "--os", "macos"], a.cli, tmp))
        check(un == [f"launchctl bootout gui/{uid}/{LABEL}"], f"uninstall runs {un}")
    print("packaged and planned plists parse and carry the required keys")
    return 0


def check_windows(a):
    with tempfile.TemporaryDirectory() as tmp:
        for sub, script in (("install", "install-service.ps1"), ("uninstall", "uninstall-service.ps1")):
            cmds = planned_commands(run_cli(["service", sub, "--dry-run", "--os", "windows"], a.cli, tmp))
            check(len(cmds) == 1 and cmds[0].startswith("powershell.exe -NoProfile"),
                  f"{sub} runs {cmds}")
            check(cmds[0].split(" -File ")[1].split()[0].endswith("share/backburner/windows/" + script),
                  f"{sub} does not run the installed {script}: {cmds[0]}")
            path = os.path.join(a.source, "packaging/windows", script)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            check("'backburnerd'" in text, f"{script} must use the task name backburnerd")
            if sub == "install":
                check("-Daemon" in cmds[0], "install passes the daemon's path")
                check("param(" in text and "$Daemon" in text, f"{script} takes -Daemon")
        status = planned_commands(run_cli(["service", "status", "--dry-run", "--os", "windows"], a.cli, tmp))
        check(status and status[0].startswith("schtasks.exe /Query /TN backburnerd"), f"status runs {status}")
    print("the Windows plans run the packaged scripts")
    return 0


def check_dry_run_is_harmless(a):
    with tempfile.TemporaryDirectory() as tmp:
        for os_name in ("linux", "macos", "windows"):
            for sub in ("install", "uninstall", "status"):
                out = run_cli(["service", sub, "--dry-run", "--os", os_name], a.cli, tmp)
                check(out.startswith("Dry run: nothing is changed."), f"{os_name} {sub}: {out[:80]}")
                check(planned_commands(out), f"{os_name} {sub} plans no command")
        check(os.listdir(tmp) == [], f"a dry run wrote {os.listdir(tmp)}")
        linux = run_cli(["service", "install", "--dry-run", "--os", "linux"], a.cli, tmp)
        cmds = planned_commands(linux)
        check(cmds == ["systemctl --user daemon-reload", "systemctl --user enable backburnerd.service",
                       "systemctl --user restart backburnerd.service"], f"linux install runs {cmds}")
        check("stop the running backburnerd, if any" in linux, "install hands over from a running daemon")
        check("loginctl enable-linger" in linux, "install tells about lingering")
    print("every dry run printed a plan and wrote nothing")
    return 0


def check_install_tree(a):
    with tempfile.TemporaryDirectory() as prefix:
        p = subprocess.run(["cmake", "--install", a.build_dir, "--prefix", prefix],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"cmake --install failed:\n{p.stdout}{p.stderr}")
        for prog in ("backburner", "backburnerd", "backburner-keeper"):
            path = os.path.join(prefix, "bin", prog)
            check(os.access(path, os.X_OK), f"{path} missing or not executable")
        unit = os.path.join(prefix, "lib/systemd/user/backburnerd.service")
        with open(unit, encoding="utf-8") as f:
            text = f.read()
        check(f"ExecStart={prefix}/bin/backburnerd --foreground" in text,
              "the installed unit names the installed daemon")
        check(os.path.exists(os.path.join(prefix, "lib/systemd/user/backburnerd.socket")), "socket unit")
        docs = os.path.join(prefix, "share/doc/backburner")
        for doc in ("CLI.md", "SERVICES.md"):
            check(os.path.exists(os.path.join(docs, doc)), f"{doc} not installed in {docs}")
        v = subprocess.run([os.path.join(prefix, "bin/backburner"), "--version"],
                           capture_output=True, text=True, timeout=30)
        check(v.returncode == 0 and v.stdout.startswith("backburner "), "installed CLI runs")
    print("cmake --install laid out binaries, units and docs")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("check", choices=["systemd", "launchd", "windows", "dry-run-is-harmless", "install-tree"])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--build-dir")
    a = ap.parse_args()
    a.daemon = os.path.abspath(a.daemon)
    checks = {"systemd": check_systemd, "launchd": check_launchd, "windows": check_windows,
              "dry-run-is-harmless": check_dry_run_is_harmless, "install-tree": check_install_tree}
    try:
        return checks[a.check](a)
    except Failed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
