"""One frozen dataclass config per stage, a ``.smoke()`` variant, and YAML overlays.

A config is saved inside every checkpoint and output manifest (``to_dict``) and reloaded
with ``from_dict``; a YAML file holding only the keys you change is merged over the base
(``overlay``), the way AnimatedDrawings merges a user config over its defaults.

Taught in notebooks/01_data_preparation.ipynb.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, TypeVar

import yaml

C = TypeVar("C", bound="StageConfig")


class ConfigError(ValueError):
    """A config file or value that does not fit the config class."""


@dataclasses.dataclass(frozen=True)
class StageConfig:
    """Base of every stage config: immutable, serializable, with a small 'smoke' variant."""

    # Keys replaced by ``smoke()``; subclasses override with their small test values.
    SMOKE_OVERRIDES = {}  # type: dict[str, Any]

    def smoke(self: C) -> C:
        """The same config at CPU-test size (what CI and ``R2A_SMOKE=1`` run)."""
        return self.replace(**self.SMOKE_OVERRIDES)

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed; unknown names raise ``ConfigError``."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(f"{type(self).__name__} has no field(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(names))}")
        typed = {k: _coerce(self, k, v) for k, v in changes.items()}
        return dataclasses.replace(self, **typed)

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists for tuples), safe for JSON, YAML and ``torch.save``."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls: type[C], d: dict[str, Any]) -> C:
        return cls().replace(**d)

    def overlay(self: C, yaml_path: str | os.PathLike) -> C:
        """Merge a YAML file of changed keys over this config."""
        path = Path(yaml_path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML ({e})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of keys to values, got {type(data).__name__}")
        try:
            return self.replace(**data)
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from None


def _coerce(cfg: StageConfig, name: str, value: Any) -> Any:
    """Give a YAML/JSON value the type of the field it replaces (lists -> tuples, int -> float)."""
    current = getattr(cfg, name)
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if current is not None and value is not None and not isinstance(value, type(current)):
        if not (isinstance(current, tuple) and isinstance(value, tuple)):
            raise ConfigError(f"{type(cfg).__name__}.{name}: expected {type(current).__name__}, "
                              f"got {value!r}")
    return value


def pick_device(prefer: str = "auto") -> str:
    """'cuda' when a GPU is there (or asked for), else 'mps' on Apple silicon, else 'cpu'."""
    import torch

    if prefer != "auto":
        if prefer.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"device {prefer!r} asked for, but no CUDA GPU is available")
        return prefer
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"
