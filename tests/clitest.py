"""What the CLI test scripts share: the binary under test, `run` (the exit code checked, the output
kept for the failure message) and `arguments` (takes a script's own arguments off the command line,
leaving unittest's)."""
import os
import subprocess
import sys

CLI = None


def run(*args, expect=0, threads=2):
    """Runs `headbench-cli [--threads N] ARGS` and returns the finished process; raises
    AssertionError with both outputs when the exit code is not `expect`."""
    command = [CLI, *(["--threads", str(threads)] if threads else []), *map(str, args)]
    proc = subprocess.run(command, capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != expect:
        raise AssertionError(f"{args}: exit {proc.returncode}, expected {expect}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def arguments(count):
    """Takes the script's first `count` arguments (the CLI first) off sys.argv and returns them."""
    global CLI
    values = sys.argv[1:1 + count]
    if len(values) != count:
        sys.exit(f"usage: {sys.argv[0]} PATH/TO/headbench-cli ... ({count} arguments)")
    del sys.argv[1:1 + count]
    values[0] = os.path.abspath(values[0])
    CLI = values[0]
    return values


def pool(states, pooling):
    """The reference pooling of one sequence's hidden states [T, H] (no padding) -> [H], as a
    backbone's cls, mean, last and max poolings are defined (a torch tensor)."""
    if pooling == "cls":
        return states[0]
    if pooling == "mean":
        return states.mean(0)
    if pooling == "last":
        return states[-1]
    return states.max(0).values
