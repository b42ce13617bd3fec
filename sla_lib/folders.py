"""Folders a run writes into: the ones the user names (``--out``, ``--kpi-cache``) and the
private working folder that holds personal data while a report is built.

- :func:`writable_folder`: a folder the user gave is created if missing and probed with a
  real file; a file, a path under a file or a folder that cannot be written is one
  :class:`~sla_lib.errors.SlaError` naming the option and the path.
- :func:`private_work_folder`: a per-run folder ``<tempdir>/sla-work-<uid>/run-<pid>-<random>/``
  (0700 inside a 0700 folder owned by this user, never in the published tree) for working
  files with personal data (the inputs cache of ``sla report``). It is removed when the run
  ends in any way Python sees (success, error, SIGTERM, Ctrl-C); a run killed harder
  (``kill -9``, power loss) leaves it, and the next run removes it: every live run holds an
  exclusive ``flock`` on its folder's ``.alive`` file, which the kernel releases when the
  process dies, so a folder whose lock can be taken belongs to a dead run (no pid-reuse
  guess).
- :func:`remove_entry`: remove a file, a folder or a symbolic link *itself*, never what a
  link points to.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

from .errors import SlaError

__all__ = ["writable_folder", "private_work_folder", "work_root", "remove_dead_work_folders", "remove_entry",
           "pid_alive", "shown_path"]

_RUN_RE = re.compile(r"^run-(?P<pid>\d+)-")
ALIVE = ".alive"


def shown_path(path) -> str:
    """A path for a one-line message: as written, or quoted when it holds control characters."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _file_ancestor(path: Path) -> Path | None:
    """The first ancestor of ``path`` (or ``path`` itself) that exists and is not a folder."""
    for candidate in [*reversed(path.parents), path]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return None


def writable_folder(path, what: str) -> Path:
    """``path`` as a folder this process can write into (created with its parents if
    missing), else SlaError "<what> <path>: ..." saying what is wrong. The check writes and
    removes a probe file: permission bits do not tell (root ignores them; a read-only mount
    or a full quota does not show in them)."""
    path = Path(path)
    shown = shown_path(path)
    if path.exists() and not path.is_dir():
        raise SlaError(f"{what} {shown}: is a file, not a folder; give a folder (it is created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = _file_ancestor(path)
        if blocker is not None:
            raise SlaError(f"{what} {shown}: cannot create the folder: {shown_path(blocker)} is a file") from None
        raise SlaError(f"{what} {shown}: cannot create the folder ({exc.strerror or exc})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".sla-write-probe-")
    except OSError as exc:
        raise SlaError(f"{what} {shown}: the folder is not writable ({exc.strerror or exc}); give a folder you can write to") from None
    os.close(fd)
    os.unlink(probe)
    return path


def remove_entry(path, missing_ok: bool = True) -> None:
    """Remove ``path``: a symbolic link or a file is unlinked (a link is never followed, so
    what it points to survives), a folder is removed with its contents (``shutil.rmtree``,
    which itself never follows links inside)."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)
    else:
        path.unlink()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def work_root() -> Path:
    """``<tempdir>/sla-work-<uid>``: created 0700; refused (SlaError) when it is a link, not a
    folder, or owned by another user (someone prepared it to read what a run writes);
    made 0700 again when it is this user's but open to others."""
    uid = _uid()
    root = Path(tempfile.gettempdir()) / f"sla-work-{uid if uid is not None else 'user'}"
    try:
        os.mkdir(root, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise SlaError(f"working folder {shown_path(root)}: cannot create it ({exc.strerror or exc}); set TMPDIR to a folder you can write to") from None
    info = os.lstat(root)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise SlaError(f"working folder {shown_path(root)} is {'a symbolic link' if stat.S_ISLNK(info.st_mode) else 'not a folder'}: "
                       "refusing to write personal data there; remove it or set TMPDIR")
    if uid is not None and info.st_uid != uid:
        raise SlaError(f"working folder {shown_path(root)} belongs to user id {info.st_uid}, not to this user ({uid}): "
                       "refusing to write personal data there; remove it or set TMPDIR")
    if info.st_mode & 0o077:
        os.chmod(root, 0o700)
    return root


def _lock_taken(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    return False


def _run_is_dead(folder: Path, pid: int) -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:  # not POSIX: the pid alone
        return pid != os.getpid() and not pid_alive(pid)
    try:
        fd = os.open(folder / ALIVE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:  # died before it took its lock (or is taking it now)
        return pid != os.getpid() and not pid_alive(pid)
    except OSError:
        return True  # a link or something else planted there: not a live run's lock
    try:
        return not _lock_taken(fd)
    finally:
        os.close(fd)  # closing releases the lock this probe may have taken


def remove_dead_work_folders(root: Path | None = None) -> list[Path]:
    """Remove the working folders of runs that died (their lock is free); links and files
    planted among them are unlinked, never followed."""
    root = work_root() if root is None else Path(root)
    removed = []
    for entry in root.iterdir():
        match = _RUN_RE.match(entry.name)
        if not match:
            continue
        if entry.is_symlink() or not entry.is_dir() or _run_is_dead(entry, int(match["pid"])):
            with contextlib.suppress(OSError):
                remove_entry(entry)
                removed.append(entry)
    return removed


@contextlib.contextmanager
def private_work_folder():
    """A fresh private folder for this run's working files (see the module's docstring);
    removed with everything in it when the block ends, however it ends."""
    root = work_root()
    remove_dead_work_folders(root)
    folder = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=root))  # 0700
    fd = None
    try:
        try:
            import fcntl

            fd = os.open(folder / ALIVE, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:
            pass
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if fd is not None:
            os.close(fd)


def open_lock_file(path: Path) -> int:
    """Open (create 0600) a lock file without following a link: a link or anything but a
    regular file is refused with one line (the run would otherwise write its pid into the
    file the link points to)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0), 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SlaError(f"{shown_path(path)} is a symbolic link: refusing to follow it; remove it and run again") from None
        raise SlaError(f"{shown_path(path)}: cannot open the lock file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SlaError(f"{shown_path(path)} is not a regular file: remove it and run again")
    return fd
