"""Pictures for the notebooks: skeleton overlays, image grids, the four-panel composite,
and inline video.

Taught in notebooks/01_data_preparation.ipynb (and used by every notebook after it).
"""
from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from r2a_utils.picture import over_background
from r2a_utils.skeleton import COLORS, LIMBS, visible

PANEL_ORDER = ("Reference", "Real Human", "Pose", "Anime")


def to_rgb(img: np.ndarray, background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """RGB uint8 from gray, RGB or RGBA (alpha composited over ``background``)."""
    a = np.asarray(img)
    if a.dtype != np.uint8:
        a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        return np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:
        return over_background(a, background)
    return a[..., :3].copy()


def draw_skeleton(img: np.ndarray, kps: np.ndarray, min_conf: float = 0.0, thickness: int | None = None,
                  copy: bool = True) -> np.ndarray:
    """Draw an OpenPose-18 skeleton ``(18, 3)`` on an image (OpenPose colours, absent joints skipped)."""
    out = to_rgb(img) if copy or img.ndim != 3 or img.shape[2] != 3 else img
    h, w = out.shape[:2]
    t = thickness or max(2, int(round(min(h, w) / 110)))
    ok = visible(np.asarray(kps), min_conf)
    for k, (a, b) in enumerate(LIMBS):
        if ok[a] and ok[b]:
            pa = tuple(int(round(v)) for v in kps[a, :2])
            pb = tuple(int(round(v)) for v in kps[b, :2])
            cv2.line(out, pa, pb, COLORS[b], t, cv2.LINE_AA)
    for j in np.flatnonzero(ok):
        cv2.circle(out, tuple(int(round(v)) for v in kps[j, :2]), t + 1, COLORS[j], -1, cv2.LINE_AA)
    return out


def pose_image(kps: np.ndarray, size: tuple[int, int], min_conf: float = 0.0) -> np.ndarray:
    """The skeleton alone on black, ``size`` = (width, height): the 'Pose' panel."""
    return draw_skeleton(np.zeros((size[1], size[0], 3), np.uint8), kps, min_conf)


def fit_height(img: np.ndarray, height: int) -> np.ndarray:
    """Resize keeping the aspect ratio so the image is ``height`` pixels tall."""
    h, w = img.shape[:2]
    if h == height:
        return to_rgb(img)
    return cv2.resize(to_rgb(img), (max(1, int(round(w * height / h))), height), interpolation=cv2.INTER_AREA)


def label(img: np.ndarray, text: str) -> np.ndarray:
    """Write a caption in the image's top-left corner on a dark band, shrunk to fit its width."""
    out = img.copy()
    scale = max(0.4, out.shape[0] / 600)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    if tw + 8 > out.shape[1]:  # never cut a title off: a smaller font instead
        scale *= (out.shape[1] - 12) / (tw + 8)
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(out, (0, 0), (tw + 8, th + 10), (20, 20, 20), -1)
    cv2.putText(out, text, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def side_by_side(panels: Mapping[str, np.ndarray], height: int = 256, gap: int = 4) -> np.ndarray:
    """Panels resized to one height, captioned and joined left to right.

    With keys ``Reference``, ``Real Human``, ``Pose``, ``Anime`` this is the report's Figure 1.
    The output width is rounded up to an even number (video encoders need it).
    """
    tiles = [label(fit_height(img, height), name) for name, img in panels.items()]
    spacer = np.full((height, gap, 3), 255, np.uint8)
    row = np.concatenate([x for t in tiles for x in (t, spacer)][:-1], axis=1)
    if row.shape[1] % 2:
        row = np.concatenate([row, np.full((height, 1, 3), 255, np.uint8)], axis=1)
    return row


def image_grid(images: Sequence[np.ndarray], ncols: int = 6, titles: Sequence[str] | None = None,
               cell: tuple[int, int] | None = None, pad: int = 4) -> np.ndarray:
    """Tile images (any size; each letterboxed into the cell) into one RGB grid."""
    if not images:
        raise ValueError("image_grid: no images")
    cw, ch = cell or (max(i.shape[1] for i in images), max(i.shape[0] for i in images))
    nrows = (len(images) + ncols - 1) // ncols
    grid = np.full((nrows * (ch + pad) + pad, ncols * (cw + pad) + pad, 3), 255, np.uint8)
    for k, img in enumerate(images):
        im = to_rgb(img)
        s = min(cw / im.shape[1], ch / im.shape[0])
        im = cv2.resize(im, (max(1, int(im.shape[1] * s)), max(1, int(im.shape[0] * s))), interpolation=cv2.INTER_AREA)
        if titles is not None:
            im = label(im, titles[k])
        r, c = divmod(k, ncols)
        y = pad + r * (ch + pad) + (ch - im.shape[0]) // 2
        x = pad + c * (cw + pad) + (cw - im.shape[1]) // 2
        grid[y:y + im.shape[0], x:x + im.shape[1]] = im
    return grid


def show_video(path: str | os.PathLike, width: int = 640, embed_limit_mb: float = 25.0):
    """Inline HTML5 video for a notebook (embedded as base64 so it survives export)."""
    from IPython.display import HTML

    p = Path(path)
    size_mb = p.stat().st_size / 2**20
    if size_mb > embed_limit_mb:
        return HTML(f"<p>{p} is {size_mb:.0f} MB; open it directly (not embedded).</p>")
    data = base64.b64encode(p.read_bytes()).decode("ascii")
    return HTML(f'<video width="{width}" controls loop autoplay muted>'
                f'<source src="data:video/mp4;base64,{data}" type="video/mp4"></video>')


def show_image(img: np.ndarray, title: str | None = None, width: float = 10.0):
    """Show an image with matplotlib at a sensible size (no axes)."""
    import matplotlib.pyplot as plt

    h, w = img.shape[:2]
    fig, ax = plt.subplots(figsize=(width, width * h / w))
    ax.imshow(to_rgb(img))
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    plt.show()
    return fig


def overlay_video(video: str | os.PathLike, tracks: Mapping[str, np.ndarray], out_path: str | os.PathLike,
                  height: int = 360, max_frames: int | None = None) -> Path:
    """A video with one panel per keypoint track drawn on the real frames, side by side.

    ``tracks`` maps a caption (e.g. 'raw', 'smoothed') to ``(T, 18, 3)`` keypoints in the
    video's pixels. Streams frame by frame; the file appears only when complete.
    """
    from r2a_utils.video import VideoReader, VideoWriter

    writer = None
    with VideoReader(video, max_frames=max_frames) as reader:
        try:
            for t, frame in enumerate(reader):
                panels = {name: draw_skeleton(frame, kps[t]) for name, kps in tracks.items() if t < len(kps)}
                tile = side_by_side(panels, height=height)
                if writer is None:
                    writer = VideoWriter(out_path, reader.fps, (tile.shape[1], tile.shape[0]))
                writer.write(tile)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
    if writer is None:
        raise ValueError(f"{video}: no frames to draw on")
    return writer.close()


class LossPlot:
    """A loss curve that redraws in place in a notebook while training runs (one output slot).

    Example:
        >>> plot = LossPlot("anime pose training")
        >>> train(..., on_log=lambda e: plot.update(e["step"], loss=e["loss"]))
    """

    def __init__(self, title: str = "training", ylog: bool = True):
        self.title, self.ylog = title, ylog
        self.series: dict[str, list[tuple[float, float]]] = {}
        self._handle = None

    def update(self, step: float, **values: float) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        for k, v in values.items():
            self.series.setdefault(k, []).append((step, float(v)))
        fig, ax = plt.subplots(figsize=(6, 3))
        for k, pts in self.series.items():
            ax.plot(*zip(*pts), label=k)
        ax.set_xlabel("step")
        ax.set_title(self.title)
        if self.ylog:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
        fig.tight_layout()
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)


def plot_history(history: Sequence[Mapping[str, float]], keys: Sequence[str], title: str = "training",
                 ylog: bool = True):
    """A finished run's loss curves (``history`` entries have ``step`` and the ``keys``); returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    steps = [e["step"] for e in history]
    for k in keys:
        ax.plot(steps, [e[k] for e in history], label=k)
    ax.set_xlabel("step")
    ax.set_title(title)
    if ylog:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def live_image(draw, controls: Mapping[str, object], width: str = "720px"):
    """A picture that redraws when a widget changes: ``draw(**values)`` returns an RGB array
    or a matplotlib figure; ``controls`` maps its argument names to ipywidgets. The picture
    is a plain ``widgets.Image`` (no Output-widget capture, which can stall headless
    notebook runs); the saved notebook shows the first drawing."""
    import io

    import ipywidgets as widgets
    from PIL import Image

    view = widgets.Image(format="png", layout=widgets.Layout(max_width=width))

    def redraw(_change=None) -> None:
        out = draw(**{name: w.value for name, w in controls.items()})
        buf = io.BytesIO()
        if isinstance(out, np.ndarray):
            Image.fromarray(out).save(buf, format="PNG")
        else:  # a matplotlib figure, drawn off-screen and closed
            import matplotlib.pyplot as plt

            out.savefig(buf, format="png", dpi=90, bbox_inches="tight")
            plt.close(out)
        view.value = buf.getvalue()

    for w in controls.values():
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(controls.values())), view])
