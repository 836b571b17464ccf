"""Where moodtune keeps the user's own files, outside the installed package so a reinstall keeps
them. One rule, read by the settings (the database, the cookie key, the certificate) and by the
catalog (the user's imported songs) without importing the settings machinery."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """``$MOODTUNE_DATA_DIR``, else ``$XDG_DATA_HOME/moodtune``, else ``~/.local/share/moodtune``:
    the user's catalog, the SQLite database, the cookie-signing key and the HTTPS certificate."""
    root = os.environ.get("MOODTUNE_DATA_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "moodtune"
