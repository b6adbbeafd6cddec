"""What the explorer may read: the run and study directories given on the command line, the run directories
found inside the study directories, and the network the server trains itself. Requests name them by id
(and files by their index in a listing made here); no path from a request reaches the file system.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..base.errors import MathdlError
from ..runs.directory import MODEL_FILES, Run, is_run, load_run, runs_under
from .checks import ApiError

STUDY_FILE = "summary.json"


@dataclass
class NetworkEntry:
    """A run directory the explorer can show; its ``Run`` loaded on first use, and what the digit view
    computed from it once (``cache``: the reverse methods' references, computed under ``references_lock``)."""

    id: str
    name: str
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # loading the run
    references_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # computing them
    cache: dict = field(default_factory=dict, repr=False)
    _run: Run | None = field(default=None, repr=False)

    def run(self) -> Run:
        with self.lock:
            if self._run is None:
                try:
                    self._run = load_run(self.path)
                except MathdlError as e:
                    raise ApiError(422, str(e)) from None
            return self._run


@dataclass
class StudyEntry:
    """A study directory and the files it offers, by index: its own files, then each run directory's and
    each reverse directory's."""

    id: str
    name: str
    path: Path
    files: list[Path] = field(default_factory=list)

    def list_files(self) -> list[Path]:
        root = self.path
        folders = [root, *sorted(p for p in (root / "runs").glob("*") if p.is_dir()),
                   *sorted(p for p in (root / "reverse").glob("*") if p.is_dir())]
        self.files = [f for folder in folders for f in sorted(folder.iterdir())
                      if f.is_file() and not f.is_symlink() and not f.name.startswith(".")]
        return self.files

    def file(self, index: int, name: str) -> Path:
        """The file of this listing index, which must be called ``name``."""
        files = self.files or self.list_files()
        if not 0 <= index < len(files) or files[index].name != name:
            raise ApiError(404, f"study {self.id} has no file {index} called {name!r}")
        return files[index]


class Catalog:
    """The networks and studies of the directories given, with ids "0", "1", …; ``default`` is true when
    none holds a network (the server then offers to train one)."""

    def __init__(self, paths=()):
        self.networks: dict[str, NetworkEntry] = {}
        self.studies: dict[str, StudyEntry] = {}
        for given in paths:
            path = Path(given).expanduser()
            if not path.is_dir():
                raise MathdlError(f"{given}: no such directory")
            path = path.resolve()
            if is_run(path):
                self._add_network(path.name, path)
                continue
            if (path / STUDY_FILE).is_file():
                id = str(len(self.studies))
                self.studies[id] = StudyEntry(id, path.name, path)
            inside = runs_under(path)
            if not inside and not (path / STUDY_FILE).is_file():
                raise MathdlError(f"{given}: neither a run directory (with {' and '.join(MODEL_FILES)}) nor a study "
                                  f"directory (with {STUDY_FILE}), and no run directory inside")
            for run in inside:
                self._add_network(f"{path.name}/{run.relative_to(path)}", run)

    def _add_network(self, name: str, path: Path) -> None:
        if any(entry.path == path for entry in self.networks.values()):
            return
        id = str(len(self.networks))
        self.networks[id] = NetworkEntry(id, name, path)

    @property
    def default(self) -> bool:
        return not self.networks

    def network(self, id: str) -> NetworkEntry:
        entry = self.networks.get(id)
        if entry is None:
            raise ApiError(404, f"no network {id!r}; the networks are {', '.join(self.networks) or 'none'}")
        return entry

    def study(self, id: str) -> StudyEntry:
        entry = self.studies.get(id)
        if entry is None:
            raise ApiError(404, f"no study {id!r}; the studies are {', '.join(self.studies) or 'none'}")
        return entry
