"""Output paths checked before any work: a file we can write, a directory we can create.

>>> from pathlib import Path
>>> check_output_file(Path("/nonexistent-dir/net.dcnet"), "--save")
Traceback (most recent call last):
...
deepcheap.errors.InvalidArgumentError: --save /nonexistent-dir/net.dcnet: the directory ... does not exist; ...

Both are tried for real (permission bits alone say nothing when running as root) and leave nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from deepcheap.errors import InvalidArgumentError


def check_output_file(path, option: str = "path") -> Path:
    """A file we can write: its directory exists, it is not a directory, and opening it for writing works.

    The check opens the file for appending (an existing file is left as it is) and removes it again if it did
    not exist, so a refused path leaves nothing behind.
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgumentError(f"{option} must be a file path; got {type(path).__name__}.")
    text = os.fspath(path)
    path = Path(text)
    if text == "" or path.is_dir() or text.endswith(("/", os.sep)):
        raise InvalidArgumentError(f"{option} {text!r} is a directory or empty; give a file name, e.g. net.dcnet.")
    parent = path.parent
    if not parent.is_dir():
        what = "does not exist" if not parent.exists() else "is not a directory"
        raise InvalidArgumentError(f"{option} {path}: the directory {parent} {what}; create it first or choose "
                                   "another path.")
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as err:
        raise InvalidArgumentError(f"{option} {path} cannot be written ({err.strerror}); choose another "
                                   "path.") from None
    if not existed:
        path.unlink(missing_ok=True)
    return path


def check_output_dir(path, option: str = "directory") -> Path:
    """A directory we can create (missing parents included) and write into; nothing is created here.

    Tried for real: a temporary directory is made (and removed) in the nearest existing ancestor.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InvalidArgumentError(f"{option} {path} is a file; give a directory.")
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidArgumentError(f"{option} {path}: {existing} is a file, so the directory cannot be created; "
                                   "choose another path.")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".deepcheap-check-", dir=existing))
    except OSError as err:
        what = "written" if existing == path else f"created in {existing}"
        raise InvalidArgumentError(f"{option} {path} cannot be {what} ({err.strerror}); choose another "
                                   "directory.") from None
    return path


def check_input_file(path, option: str = "path") -> Path:
    """An existing regular file (for loading); the message says what is wrong with the path."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgumentError(f"{option} must be a file path; got {type(path).__name__}.")
    path = Path(path)
    if not path.exists():
        raise InvalidArgumentError(f"{option} {path} does not exist.")
    if not path.is_file():
        raise InvalidArgumentError(f"{option} {path} is not a file.")
    return path
