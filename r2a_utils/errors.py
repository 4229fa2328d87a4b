"""One shape for every error about an input: the message names the file, then the problem."""
from __future__ import annotations

import os


class InputFileError(Exception):
    """Base of the kit's errors about one input (video, picture, dataset, ...)."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = str(path) if path is not None else "<input>"
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class Cancelled(InputFileError):
    """Work on ``path`` stopped on purpose because another part of the same run failed; its
    result is neither returned nor cached (``animate`` raises the other part's error)."""
