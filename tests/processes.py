"""Stopping a server a test started, with everything it started in turn.

A server such as the SIP B2BUA starts children (the record writer) that inherit its output pipes:
killing only the parent leaves the pipes open, and reading them to the end then waits for ever
(this hung CI). The tests therefore start such servers in their own process group
(``start_new_session=True``) and stop them with :func:`stop_group`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process group led by ``process`` (gone already: nothing to do)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def stop_group(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL the whole group; return its stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        try:
            _out, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            return "(the process group was killed; its output could not be read)"
    kill_group(process)  # children left behind, if any
    return err or ""
