"""Issue 13 (the report suite within 2x of empty notebooks): `sla report` forks its kernels
from a zygote that imported the kernel and the notebooks' libraries once
(sla_lib/warm_kernels.py, sla_lib/kernel_zygote.py, sla_lib/warm_kernel_client.py).

A forked kernel must be a kernel like any other: the same state a notebook can observe as in
a kernel started cold, nothing shared between two notebooks, interrupts and kills reaching it,
nothing left running after the run, and a cold start whenever the zygote is not there."""

from __future__ import annotations

import json
import os
import signal
import time

import nbformat
import papermill as pm
import pytest

from conftest import ROOT
from sla_lib import warm_kernels as W

pytestmark = pytest.mark.skipif(not W.supported(), reason="warm kernels need fork and AF_UNIX SOCK_SEQPACKET (Linux)")

NOTEBOOKS = ROOT / "notebooks"
QUIET = ["--IPKernelApp.log_level=CRITICAL"]

# what a notebook can see of its kernel: pandas' and matplotlib's settings made on import, the
# shell's event hooks, comm targets, formatters, sys.path, and whether a pyplot figure is shown
PROBE = r"""
import builtins, json, os, random, sys
import numpy as np, pandas as pd, matplotlib
from sla_lib import charts
charts.use_report_style()
import comm
ip = get_ipython()
state = {
    "pandas": {k: str(pd.get_option(k)) for k in ("display.max_columns", "display.width", "display.max_rows", "display.notebook_repr_html")},
    "backend": matplotlib.get_backend(), "interactive": matplotlib.is_interactive(),
    "events": {k: sorted(getattr(f, "__qualname__", repr(f)) for f in v) for k, v in ip.events.callbacks.items()},
    "targets": sorted(getattr(comm.get_comm_manager(), "targets", {})),
    "formatters": sorted(ip.display_formatter.formatters),
    "path": [p for p in sys.path if p in ("", os.getcwd())],
    "cwd": os.getcwd(), "argv0": os.path.basename(sys.argv[0]),
    "env": os.environ.get("SLA_PROBE"),
    "get_ipython_builtin": hasattr(builtins, "get_ipython"),
}
import matplotlib.pyplot as plt
fig, ax = plt.subplots(); ax.plot([1, 2])
print(json.dumps(state, sort_keys=True))
"""
OTHERS = """
import json, os, random
import numpy as np
print(json.dumps({"pid": os.getpid(), "random": random.random(), "numpy": float(np.random.random()),
                  "leftover": "leftover" in globals()}))
leftover = 1
"""


def _notebook(path, *sources):
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("x = 1"), *(nbformat.v4.new_code_cell(s) for s in sources)]
    book.cells[0].metadata["tags"] = ["parameters"]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, path)
    return path


def _run(source, out, manager=None, **kw):
    extra = {"kernel_manager_class": manager} if manager else {}
    pm.execute_notebook(str(source), str(out), kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOKS),
                        extra_arguments=QUIET, **extra, **kw)
    return nbformat.read(out, as_version=4)


def _printed(book, cell: int):
    return json.loads("".join(o.get("text", "") for o in book.cells[cell].outputs if o.get("name") == "stdout"))


@pytest.fixture(scope="module")
def zygote():
    with W.warm_kernels(cwd=str(NOTEBOOKS)) as running:
        path = running.ready()
        assert path is not None, "the zygote did not start"
        yield running, W.warm_manager(path)


def test_a_forked_kernel_looks_like_a_cold_one(tmp_path, zygote, monkeypatch):
    _, manager = zygote
    monkeypatch.setenv("SLA_PROBE", "from the caller")  # the kernel gets its caller's environment, not the zygote's
    probe = _notebook(tmp_path / "probe.ipynb", PROBE)
    cold, warm = _run(probe, tmp_path / "cold.ipynb"), _run(probe, tmp_path / "warm.ipynb", manager)
    assert _printed(warm, 1) == _printed(cold, 1)
    state = _printed(warm, 1)
    assert state["pandas"]["display.max_columns"] == "20"  # a kernel's, not a terminal's (0)
    assert state["env"] == "from the caller" and state["cwd"] == str(NOTEBOOKS)
    shown = [sorted(o.get("data", {})) for o in warm.cells[1].outputs if o.output_type == "display_data"]
    assert shown == [sorted(o.get("data", {})) for o in cold.cells[1].outputs if o.output_type == "display_data"]
    assert ["image/png", "text/plain"] in shown  # the pyplot figure shown at the cell's end, as in a cold kernel


def test_each_notebook_gets_its_own_kernel(tmp_path, zygote):
    _, manager = zygote
    source = _notebook(tmp_path / "n.ipynb", OTHERS)
    first, second = (_printed(_run(source, tmp_path / f"o{i}.ipynb", manager), 1) for i in range(2))
    assert first["pid"] != second["pid"] and first["pid"] != os.getpid()
    assert not first["leftover"] and not second["leftover"]  # nothing of one notebook in the next
    assert first["random"] != second["random"] and first["numpy"] != second["numpy"]  # not the zygote's seed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def _wait_dead(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


async def _forked_kernel(manager):
    """A kernel started through ``manager``, its client (channels started) and the pid the
    kernel reports for itself."""
    km = manager(kernel_name="python3")
    await km.start_kernel(extra_arguments=QUIET, cwd=str(NOTEBOOKS))
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    outputs = []
    await kc.execute_interactive("import os; print(os.getpid())", output_hook=outputs.append, timeout=60)
    return km, kc, int("".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream"))


def test_interrupt_and_kill_reach_the_forked_kernel(zygote):
    import asyncio

    _, manager = zygote

    async def scenario():
        km, kc, kernel = await _forked_kernel(manager)
        try:
            assert kernel != km.provisioner.process.pid  # forked by the zygote, not the process jupyter_client started
            msg_id = kc.execute("import time; time.sleep(60)")
            await asyncio.sleep(0.5)
            await km.interrupt_kernel()
            start = time.monotonic()
            while True:
                reply = await kc.get_shell_msg(timeout=30)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
            assert time.monotonic() - start < 10
            await km.shutdown_kernel(now=True)  # SIGKILL to what jupyter_client started: the kernel goes too
            return kernel
        finally:
            kc.stop_channels()

    kernel = asyncio.run(scenario())
    assert _wait_dead(kernel), "the forked kernel outlived its killed client"


def test_nothing_outlives_the_run(tmp_path):
    with W.warm_kernels(cwd=str(NOTEBOOKS)) as running:
        manager = W.warm_manager(running.ready())
        source = _notebook(tmp_path / "n.ipynb", OTHERS)
        pid = _printed(_run(source, tmp_path / "o.ipynb", manager), 1)["pid"]
        zygote_pid = running.process.pid
        socket_path = running.socket_path
    assert _wait_dead(pid) and _wait_dead(zygote_pid)
    assert not os.path.exists(socket_path)  # its private folder is removed


def test_without_the_zygote_kernels_start_cold(tmp_path, monkeypatch):
    source = _notebook(tmp_path / "n.ipynb", OTHERS)
    # a socket nobody listens on: the client becomes the kernel itself (exec), the notebook runs
    book = _run(source, tmp_path / "o.ipynb", W.warm_manager(str(tmp_path / "nobody.sock")))
    assert not _printed(book, 1)["leftover"]
    monkeypatch.setenv("SLA_WARM_KERNELS", "0")
    with W.warm_kernels(cwd=str(NOTEBOOKS)) as running:
        assert running.ready() is None and running.process is None


def test_the_zygote_refuses_what_is_not_this_pythons_ipykernel(tmp_path, zygote):
    import socket

    running, _ = zygote
    client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.connect(running.socket_path)
    request = {"argv": ["/bin/sh", "-c", "echo hi"], "cwd": "/", "env": {}}
    socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
    assert json.loads(client.recv(4096)) == {"pid": None}  # the client then runs its own command, unforked


def test_report_runs_its_notebooks_in_forked_kernels(tmp_path, monkeypatch):
    """sla report hands the zygote's kernel manager to papermill (each job carries the socket)."""
    from sla_lib import report

    seen = []
    real = report.execute_notebook
    monkeypatch.setattr(report, "execute_notebook", lambda job: seen.append(job.kernel_socket) or real(job))
    from conftest import SAMPLES

    report.build_report(SAMPLES / "contract.yaml", SAMPLES, "2026-10", out_dir=tmp_path / "r", formats=("html",), jobs=1,
                        as_of="2026-12-31", progress=False, notebooks=["fee_reconciliation"])
    assert len(seen) == 1 and seen[0] and seen[0].endswith(W.SOCKET_NAME)
    assert not os.path.exists(seen[0])  # gone with the run


def test_killing_the_client_kills_the_kernel(tmp_path, zygote):
    """A client killed with SIGKILL (jupyter_client's last resort, or `sla report` killing its
    workers' process trees) cannot pass the signal on: the zygote sees its connection close."""
    import asyncio

    _, manager = zygote

    async def scenario():
        km, kc, kernel = await _forked_kernel(manager)
        try:
            os.kill(km.provisioner.process.pid, signal.SIGKILL)
            return kernel
        finally:
            kc.stop_channels()

    assert _wait_dead(asyncio.run(scenario()))
