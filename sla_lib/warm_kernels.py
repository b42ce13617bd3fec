"""Warm kernels for ``sla report``: every notebook still runs in a kernel process of its own,
but the kernel is forked from a *zygote* (:mod:`sla_lib.kernel_zygote`) that imported
ipykernel, pandas, seaborn and sla_lib once, instead of starting an interpreter and importing
them again per notebook (about 1.5 s of the 3.5 s a sample notebook took: docs/benchmarks.md §3).

- :func:`warm_kernels` (context manager, in the ``sla report`` process): starts the zygote in
  a new session, with the environment a kernel would get and the notebooks' folder as its
  working folder, its socket in a private 0700 folder; yields a :class:`Zygote` whose
  ``ready()`` gives the socket (None where fork or AF_UNIX SOCK_SEQPACKET is missing, or with
  ``SLA_WARM_KERNELS=0``: kernels then start cold, as before). On exit the zygote is
  terminated and kills what it forked; it also ends when the ``sla report`` process dies.
- :func:`warm_manager`: jupyter_client's AsyncKernelManager with one change: the kernel
  command ``<this python> -m ipykernel_launcher -f CONNECTION …`` runs through
  :mod:`sla_lib.warm_kernel_client`, which has the zygote fork the kernel with that command
  line, environment, working folder and standard streams, and stands in for it (signals,
  exit status). Any other command is started unchanged.

Each kernel is forked from the zygote, never from another kernel: what two notebooks share is
the imported modules, nothing a notebook did (docs/decisions.md, "Warm kernels";
tests/test_warm_kernels.py compares what a notebook can observe in a forked and a cold kernel).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from .kernel_zygote import is_ipykernel_command

__all__ = ["warm_kernels", "Zygote", "warm_manager", "supported"]

CLIENT = Path(__file__).with_name("warm_kernel_client.py")
ZYGOTE = Path(__file__).with_name("kernel_zygote.py")
SOCKET_NAME = "kernels.sock"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux


def supported() -> bool:
    return hasattr(os, "fork") and hasattr(socket, "SOCK_SEQPACKET") and hasattr(socket, "send_fds") \
        and sys.platform.startswith("linux")


_MANAGERS: dict[str, type] = {}


def warm_manager(socket_path: str) -> type:
    """The kernel manager class whose kernels the zygote at ``socket_path`` forks."""
    if socket_path not in _MANAGERS:
        from jupyter_client.manager import AsyncKernelManager

        class WarmKernelManager(AsyncKernelManager):
            def format_kernel_cmd(self, extra_arguments=None):
                command = super().format_kernel_cmd(extra_arguments)
                if not is_ipykernel_command(command):
                    return command
                return [sys.executable, "-I", "-S", str(CLIENT), socket_path, *command]

        _MANAGERS[socket_path] = WarmKernelManager
    return _MANAGERS[socket_path]


class Zygote:
    """The running zygote of one ``sla report`` run (see :func:`warm_kernels`)."""

    def __init__(self, process: subprocess.Popen | None, socket_path: str | None):
        self.process, self.socket_path = process, socket_path

    def ready(self, timeout: float = 10.0) -> str | None:
        """The socket to hand to :func:`warm_manager` once the zygote listens (it binds
        before it imports: milliseconds after its start), or None: kernels start cold."""
        if self.process is None:
            return None
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return None
            time.sleep(0.005)
        return self.socket_path


@contextlib.contextmanager
def warm_kernels(cwd: str | None = None):
    """Start a zygote for this run's kernels and yield its :class:`Zygote` (whose ``ready()``
    is None where warm kernels are not supported or are switched off with
    ``SLA_WARM_KERNELS=0``)."""
    if not supported() or os.environ.get("SLA_WARM_KERNELS", "1") == "0":
        yield Zygote(None, None)
        return
    from .folders import private_work_folder

    with private_work_folder() as folder:
        path = str(Path(folder) / SOCKET_NAME)
        if len(path.encode()) > _MAX_SOCKET_PATH:
            yield Zygote(None, None)
            return
        env = dict(os.environ)
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # what ipykernel sets
        # its stderr is not the user's: an import-time warning would land on the terminal
        # (in a cold kernel it lands in a cell's stderr, which reports hide)
        zygote = subprocess.Popen([sys.executable, str(ZYGOTE), path], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env,
                                  start_new_session=True)
        try:
            yield Zygote(zygote, path)
        finally:
            zygote.terminate()  # it kills what it forked and ends, importing or not
            try:
                zygote.wait(5)
            except subprocess.TimeoutExpired:
                zygote.kill()
                zygote.wait()


