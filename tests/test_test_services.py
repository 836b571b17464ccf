"""scripts/test-services.sh: the script `make test` evals to start PostgreSQL.

Its caller reads the script's stdout through `$(...)` until the end of file. A server started
while that pipe (or make's log) is open keeps it open for as long as it runs, and the caller
waits forever: that is how CI once hung for 90 minutes. These tests hold the script to it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "test-services.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _detached_function() -> str:
    match = re.search(r"^detached\(\) \{\n.*?^\}\n", SCRIPT.read_text(), re.S | re.M)
    assert match, "scripts/test-services.sh defines detached()"
    return match.group(0)


def test_a_server_started_detached_holds_none_of_the_callers_pipes() -> None:
    # A stand-in server: a background process that lives for a minute, as postgres would.
    snippet = (
        _detached_function()
        + 'exec 3>&1 1>&2\nout=$(exec 3>&1 1>&2; detached bash -c "sleep 60 & echo server says hello")\n'
        + 'echo "captured=[$out]" >&3\n'
    )
    done = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=20, check=True)
    # The caller got its end of file at once (no timeout above), nothing of the server's
    # output leaked into the captured stdout, and that output still reached stderr.
    assert done.stdout.strip() == "captured=[]"
    assert "server says hello" in done.stderr


def test_detached_returns_the_commands_exit_status() -> None:
    snippet = _detached_function() + 'detached bash -c "echo failing; exit 3"; echo "rc=$?"\n'
    done = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=20)
    assert done.stdout.strip().endswith("rc=3")
    assert "failing" in done.stdout + done.stderr


def test_every_command_that_leaves_a_server_running_is_detached() -> None:
    starters = re.compile(r"(pg_ctlcluster\b.*\bstart\b|pg_ctl\b.*\bstart\b|pg_createcluster\b)")
    lines = SCRIPT.read_text().splitlines()
    for number, line in enumerate(lines):
        code = line.split("#", 1)[0]
        # A command continued over several lines is judged by its first line.
        start = number
        while start > 0 and lines[start - 1].rstrip().endswith("\\"):
            start -= 1
        if starters.search(code) and "say " not in code:
            assert "detached " in lines[start], f"line {start + 1} starts a server without detached"
