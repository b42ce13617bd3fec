"""The kernels' zygote of ``sla report`` (:mod:`sla_lib.warm_kernels` starts it and says
why): imports the kernel and the notebooks' libraries once, then forks one kernel per
request of :mod:`sla_lib.warm_kernel_client`.

Run by path (``python kernel_zygote.py SOCKET``), not as ``-m sla_lib…``: the package's
``__init__`` imports pandas, which must be imported under :func:`_preload`'s kernel-like
``get_ipython`` to configure itself as in a kernel.
"""

import sys

if __name__ == "__main__" and sys.path:
    # this folder: its calendar.py would stand in for the standard library's (and a kernel's
    # sys.path starts without it too: ipykernel_launcher drops its own entry, IPython adds '')
    del sys.path[0]

import contextlib
import json
import os
import selectors
import signal
import socket

# imported once in the zygote: the kernel itself and what the report notebooks import first;
# "module:function" also calls a function that only fills a cache (no style, no state of a notebook)
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",
    "IPython.display",
    "numpy",
    "pandas",
    "seaborn",
    "sla_lib.charts:register_cjk_font",
    "sla_lib.display",
    "sla_lib.excel",
    "sla_lib.fees",
    "sla_lib.kpis",
    "sla_lib.labels",
    "sla_lib.tables",
    "sla_lib.views",
)


def is_ipykernel_command(command: list[str]) -> bool:
    """``<this interpreter> -m ipykernel_launcher …``: the only command the zygote can fork."""
    if len(command) < 3 or command[1:3] != ["-m", "ipykernel_launcher"]:
        return False
    try:
        return os.path.samefile(command[0], sys.executable)
    except OSError:
        return False


class _KernelShell:
    """What ``get_ipython()`` returns while the zygote imports: a shell of a Jupyter kernel
    (pandas, on import, sizes its display for a kernel, not a terminal, when it has one)."""

    kernel = None


# Modules whose import binds them to the IPython shell of the process (``from IPython import
# get_ipython`` at import). They are imported in the zygote before any shell exists, so the
# kernel runs what they ran on import once its shell is up. matplotlib's inline backend is
# kept out of PRELOAD instead: a kernel imports it only when a notebook draws with pyplot.
_ON_SHELL = {"ipywidgets": "_handle_ipython"}


def _preload() -> None:
    import builtins
    import importlib

    builtins.get_ipython = _KernelShell  # as during a kernel's cell, where these are imported otherwise
    try:
        for entry in PRELOAD:
            name, _, function = entry.partition(":")
            with contextlib.suppress(Exception):  # what fails here is imported by the kernel, as without a zygote
                module = importlib.import_module(name)
                if function:
                    getattr(module, function)()
    finally:
        del builtins.get_ipython


def serve(path: str) -> tuple[dict, list[int]] | None:
    """The zygote's loop. Returns only in a forked child: its request and standard streams."""
    kernels: dict[int, socket.socket] = {}  # pid -> its client's connection

    def end(*_):  # sla report ended (SIGTERM) or died (stdin closed): nothing forked outlives it
        for pid in kernels:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        os._exit(0)

    signal.signal(signal.SIGTERM, end)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path + ".new")
    os.chmod(path + ".new", 0o600)
    listener.listen(64)
    os.rename(path + ".new", path)  # the parent waits for the name: bound and listening by then
    _preload()

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listen")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    clients: dict[socket.socket, int | None] = {}

    def close(conn):
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(conn)
        clients.pop(conn, None)
        conn.close()

    while True:
        for key, _ in selector.select():
            what = key.data
            if what == "parent":
                end()
            if what == "child":
                with contextlib.suppress(OSError):
                    os.read(wake_r, 4096)
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    conn = kernels.pop(pid, None)
                    if conn is not None:
                        with contextlib.suppress(OSError):
                            conn.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
                        close(conn)
                continue
            if what == "listen":
                conn, _ = listener.accept()
                uid = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
                if int.from_bytes(uid[4:8], sys.byteorder) != os.getuid():
                    conn.close()
                    continue
                clients[conn] = None
                selector.register(conn, selectors.EVENT_READ, "client")
                continue
            conn = key.fileobj
            if clients.get(conn) is not None:  # a client with a kernel: only its end can come
                pid = clients[conn]
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)  # its client was killed: so is the kernel
                selector.unregister(conn)  # closed once the kernel is reaped
                continue
            try:
                message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                request = json.loads(message)
                usable = len(fds) == 3 and is_ipykernel_command(request["argv"])
            except (OSError, ValueError, KeyError, TypeError):
                fds, usable = [], False
            if not usable:
                for fd in fds:
                    os.close(fd)
                with contextlib.suppress(OSError):
                    conn.send(json.dumps({"pid": None}).encode())  # the client starts the kernel cold
                close(conn)
                continue
            pid = os.fork()
            if pid == 0:  # the kernel: leave the zygote's loop with what it needs
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                selector.close()
                listener.close()
                for other in list(clients):
                    if other is not conn:
                        other.close()
                os.close(wake_r)
                os.close(wake_w)
                conn.close()
                return request, fds
            for fd in fds:
                os.close(fd)
            kernels[pid] = conn
            clients[conn] = pid
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"pid": pid}).encode())


def become_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: take the client's streams, folder and environment, then run the
    kernel as ``python -m ipykernel_launcher`` would."""
    os.setsid()  # as jupyter_client starts kernels: a terminal's Ctrl-C is not theirs
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    import random

    random.seed()  # a fork copies the zygote's random state; two kernels must not share it
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    arguments = request["argv"][3:]
    import importlib.util

    launcher = importlib.util.find_spec("ipykernel_launcher")
    sys.argv = [launcher.origin if launcher else "ipykernel_launcher", *arguments]  # as `python -m` sets it
    from ipykernel import kernelapp

    code = 0
    try:
        app = kernelapp.IPKernelApp.instance()
        # the parent to watch is the zygote (the kernel's parent); the default was read from the
        # zygote's environment when ipykernel was imported
        app.initialize([*arguments, f"--IPKernelApp.parent_handle={os.getppid()}"])
        for name, hook in _ON_SHELL.items():
            if name in sys.modules:
                getattr(sys.modules[name], hook)()
        app.start()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - as an interpreter would: the traceback on stderr
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        # what the kernel registered to run at exit (IPython's history), then out: tearing down
        # the zygote's modules object by object took 0.3-0.5 s per kernel and saves nothing
        import atexit

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def main(argv: list[str]) -> None:
    child = serve(argv[0])
    if child is not None:
        become_kernel(*child)


if __name__ == "__main__":
    main(sys.argv[1:])
