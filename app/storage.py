"""Where uploaded files live: outside the database, behind one small interface.

The default is a folder (`EVIDENCE_STORAGE_DIR`, under the instance folder). Files are named by
a random key, never by what the user called them, and are served only by views that check who
may see them.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Protocol

from flask import current_app


class Storage(Protocol):
    def save(self, data: bytes) -> str: ...

    def load(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class FolderStorage:
    """Files in a local folder, one per random key."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> str:
        key = secrets.token_hex(20)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def load(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> Storage:
    """The app's configured storage."""
    root = current_app.config.get("EVIDENCE_STORAGE_DIR") or (
        Path(current_app.instance_path) / "evidence"
    )
    return FolderStorage(Path(root))
