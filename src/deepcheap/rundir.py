"""A run directory: one run at a time, no silent overwrite, and resume only of the same run.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> with RunDirectory(out, scale="quick", seed=0):
...     (out / "trials.jsonl").write_text("")    # a run writes here while it holds the lock
0
>>> RunDirectory(out, scale="quick", seed=0).check()  # a second, non-resume run is refused
Traceback (most recent call last):
...
deepcheap.errors.InvalidArgumentError: ... holds the results of an earlier run; ...

Rules (``deepcheap reproduce`` and :func:`deepcheap.sweep.run_sweep` both follow them):

* **Lock.** While a run writes into a directory it holds an exclusive lock on ``.deepcheap.lock``
  there (``flock``, released by the kernel when the process dies, even by SIGKILL). A second run
  into the same directory is refused with the pid, start time and command of the running one.
* **No silent overwrite.** A run without ``resume`` into a directory that holds results of an
  earlier run is refused unless ``overwrite`` is given; then the earlier run's files are removed.
* **Resume only the same run.** With ``resume`` the directory's ``manifest.json`` (if any) must
  have the same scale, root seed and claim configurations; trial records carry a fingerprint of
  their parameters (:meth:`deepcheap.claims.Trial.fingerprint`; parameters hold every number a
  trial uses), so even without a manifest no record of another configuration is ever reused.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from deepcheap.errors import InvalidArgumentError, RunLockedError

LOCK_NAME = ".deepcheap.lock"
MANIFEST_NAME = "manifest.json"
LOG_NAME = "trials.jsonl"
RUN_FILES = (LOG_NAME, MANIFEST_NAME, "results.json", "report.md", "report.html")  # what an earlier run leaves
RUN_DIRS = ("figures",)

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: msvcrt locks the first byte instead
    fcntl = None

_HELD: dict[Path, int] = {}  # directories whose lock this process holds -> file descriptor


def read_manifest(directory: Path) -> dict | None:
    """The directory's manifest, None if there is none; a file that is not one raises."""
    path = Path(directory) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict):
        raise InvalidArgumentError(f"{path} is not a deepcheap manifest; choose a new --out.")
    return manifest


def check_resumable(directory: Path, scale: str, seed: int, configs: dict[str, dict] | None = None) -> dict | None:
    """The manifest of the run to be resumed (None if there is none); refuses another scale, seed or config.

    ``configs``: claim id -> its recorded configuration (:func:`deepcheap.sweep.claim_configs`); claims present
    in both manifests must agree.
    """
    manifest = read_manifest(directory)
    if manifest is None:
        return None
    if manifest.get("scale") != scale or manifest.get("seed") != seed:
        raise InvalidArgumentError(
            f"{directory} holds a run with scale={manifest.get('scale')} seed={manifest.get('seed')}; resume it with "
            "the same --quick/--full and --seed, or choose a new --out (or --overwrite to replace it)."
        )
    previous = manifest.get("claim_configs") or {}
    changed = sorted(cid for cid, fp in (configs or {}).items() if cid in previous and previous[cid] != fp)
    if changed:
        raise InvalidArgumentError(
            f"{directory} holds a run whose configuration of {', '.join(changed)} differs from this one "
            "(another deepcheap version or changed parameters); choose a new --out or pass --overwrite."
        )
    return manifest


def has_results(directory: Path) -> bool:
    directory = Path(directory)
    return any((directory / name).exists() for name in RUN_FILES)


class RunDirectory:
    """Context manager: create ``out``, take its lock, apply the overwrite/resume rules (module docstring)."""

    def __init__(self, out: str | Path, *, scale: str, seed: int, resume: bool = False, overwrite: bool = False,
                 configs: dict[str, str] | None = None):
        self.out = Path(out)
        self.scale, self.seed, self.resume, self.overwrite, self.configs = scale, seed, resume, overwrite, configs
        self.previous: dict | None = None  # the manifest of the run being resumed

    def check(self) -> dict | None:
        """The rules without taking the lock or writing anything (to fail before starting workers)."""
        if self.out.exists() and not self.out.is_dir():
            raise InvalidArgumentError(f"--out {self.out} is a file; give a directory.")
        if self.resume and self.overwrite:
            raise InvalidArgumentError("--resume keeps an earlier run's trials and --overwrite deletes them; "
                                       "pass one of them.")
        if self.resume:
            self.previous = check_resumable(self.out, self.scale, self.seed, self.configs)
        elif has_results(self.out) and not self.overwrite:
            raise InvalidArgumentError(
                f"{self.out} holds the results of an earlier run; pass --resume to continue it, --overwrite to "
                "replace it, or choose a new --out."
            )
        return self.previous

    def __enter__(self) -> RunDirectory:
        if self.out.exists() and not self.out.is_dir():
            raise InvalidArgumentError(f"--out {self.out} is a file; give a directory.")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InvalidArgumentError(f"cannot create the output directory {self.out} ({err.strerror}); "
                                       "choose a writable --out.") from None
        self._lock = acquire_lock(self.out)
        try:
            self.check()  # again, under the lock: nothing changes between the check and the run
            if self.overwrite:
                remove_run_files(self.out)
        except BaseException:
            self._lock.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._lock.close()


class _Lock:
    def __init__(self, directory: Path, fd: int):
        self.directory, self.fd = directory, fd

    def close(self) -> None:
        if _HELD.get(self.directory) == self.fd:
            del _HELD[self.directory]
            os.close(self.fd)  # closing the descriptor releases the flock


def acquire_lock(directory: Path) -> _Lock:
    """Take ``directory``'s exclusive lock (or return a no-op if this process already holds it)."""
    directory = Path(directory).resolve()
    if directory in _HELD:
        return _Lock(directory, -1)  # nested: the outer holder releases it
    path = directory / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise InvalidArgumentError(
            f"cannot write into {directory} ({err.strerror}); choose a writable --out.") from None
    try:
        _lock_fd(fd)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
        os.close(fd)
        raise RunLockedError(f"{directory} is in use by a running deepcheap run ({holder}); wait for it to "
                             "finish, stop it, or choose another --out.") from None
    os.ftruncate(fd, 0)
    from deepcheap.report.manifest import now

    os.pwrite(fd, f"pid {os.getpid()}, started {now()}, command: {' '.join(sys.argv)[:300]}\n".encode(), 0)
    _HELD[directory] = fd
    return _Lock(directory, fd)


def _lock_fd(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise BlockingIOError from None


def remove_run_files(directory: Path) -> None:
    """Delete what an earlier run wrote (only deepcheap's own file names; nothing else in the directory)."""
    for name in RUN_FILES:
        (directory / name).unlink(missing_ok=True)
    for name in RUN_DIRS:
        shutil.rmtree(directory / name, ignore_errors=True)


__all__ = ["LOCK_NAME", "LOG_NAME", "RunDirectory", "acquire_lock", "check_resumable", "has_results",
           "read_manifest", "remove_run_files"]
