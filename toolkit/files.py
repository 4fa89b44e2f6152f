"""Writing files that hold client data: private, whole or not at all.

Exports and PDFs leave the store and travel (a USB stick, an email), so each
is created readable by its owner alone and appears under its final name only
once every byte is on disk: a full disk or a crash never leaves a truncated
file behind that a retry would then refuse to replace.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["FileWriteError", "private_writer", "write_private"]


class FileWriteError(Exception):
    """A file could not be written; the message says which and why, in one sentence."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.errno = code


def _explain(target: Path, exc: OSError) -> FileWriteError:
    code = exc.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        why = "the disk is full; free some space and try again"
    elif code == errno.EFBIG:
        why = "the file would be larger than this system allows"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "this place cannot be written to; choose another folder"
    elif code == errno.ENOTDIR:
        why = "part of the path is a file, not a folder"
    elif code == errno.ENAMETOOLONG:
        why = "the file name is too long; choose a shorter one"
    elif code == errno.EISDIR:
        why = "that name is a folder; name a file inside it"
    elif code == errno.ENOENT and target.parent.is_dir():
        why = "this place cannot be written to; choose another folder"
    elif code == errno.ENOENT:
        why = "the folder does not exist and could not be created"
    else:
        why = exc.strerror or str(exc)
    return FileWriteError(code or 0, f"{target}: not written: {why}")


@contextlib.contextmanager
def private_writer(path: str | os.PathLike[str], *, overwrite: bool = False
                   ) -> Iterator[IO[bytes]]:
    """Open a private (0600) temporary file next to ``path``; on success it is
    renamed into place, on any error it is removed and nothing is left behind.

    An existing file is never replaced unless ``overwrite`` is set.
    """
    target = Path(path)
    try:
        if not overwrite and (target.exists() or target.is_symlink()):
            raise FileWriteError(errno.EEXIST,
                                 f"{target}: already exists; choose another file name")
        for folder in target.parents:  # the first part of the path that exists: a folder
            if folder.exists() or folder.is_symlink():
                if not folder.is_dir():
                    raise _explain(target, OSError(errno.ENOTDIR, "not a folder"))
                break
    except FileWriteError:
        raise
    except OSError as exc:  # e.g. a name too long to even look up
        raise _explain(target, exc) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _explain(target, exc) from None
    temp = target.with_name(f".{target.name[:80]}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _explain(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(temp, target)
        else:
            # link() refuses an existing name atomically, unlike rename()
            try:
                os.link(temp, target)
            except FileExistsError:
                raise FileWriteError(
                    errno.EEXIST, f"{target}: already exists; choose another file name"
                ) from None
            except OSError:
                if target.exists():
                    raise
                os.replace(temp, target)  # file systems without hard links
            else:
                os.unlink(temp)
    except FileWriteError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise _explain(target, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_private(data: bytes, path: str | os.PathLike[str], *, overwrite: bool = False
                  ) -> Path:
    """Write ``data`` as a file only its owner can read; never replaces one unless asked."""
    with private_writer(path, overwrite=overwrite) as fh:
        fh.write(data)
    return Path(path)
