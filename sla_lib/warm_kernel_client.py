"""The process jupyter_client starts as a kernel when ``sla report`` has warm kernels
(:mod:`sla_lib.warm_kernels`): it asks the run's kernel zygote to fork a kernel with its own
arguments, environment, working folder and standard streams, then stands in for it.

Run as ``python -I -S warm_kernel_client.py SOCKET PYTHON -m ipykernel_launcher ARGS...``
(the standard library only, so it starts in milliseconds). To jupyter_client it behaves as
the kernel process: the signals it is sent (interrupt, terminate) go to the kernel, and it
exits when and how the kernel exits. If it is killed, the zygote sees the connection close
and kills the kernel. If the zygote cannot be reached or declines, it becomes the kernel
command itself (``exec``), exactly as jupyter_client would have started it.
"""

import json
import os
import signal
import socket
import sys

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _cold(command):
    os.execv(command[0], command)


def main(argv):
    path, command = argv[0], argv[1:]
    try:
        zygote = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        zygote.connect(path)
        request = json.dumps({"argv": command, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        socket.send_fds(zygote, [request], [0, 1, 2])
        reply = zygote.recv(65536)  # waits while the zygote is still importing
        pid = json.loads(reply)["pid"] if reply else None
    except (OSError, ValueError, KeyError):
        pid = None
    if not pid:
        _cold(command)

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in FORWARDED:
        signal.signal(signum, forward)
    reply = zygote.recv(65536)  # the kernel's exit, sent by the zygote that reaped it
    if not reply:
        sys.exit(1)  # the zygote is gone, and with it the kernel (its parent poller)
    code = json.loads(reply)["exit"]
    if code < 0:  # killed by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
