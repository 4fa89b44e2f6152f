"""The couple's two spectrum profiles, side by side.

``ProfilePlot`` builds one Figure and afterwards only moves its artists, so a
slider move in the room redraws in a few tens of milliseconds and never
creates a new Figure. ``profile_figure`` is the one-shot form (seaborn habit:
data in, Figure out) for reports. Partners differ by colour and by marker
shape, in the Okabe-Ito palette, which stays distinct for colour-blind readers.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D, ScaledTranslation

from .content import SpectrumWorksheet
from .scoring import ZONE_THRESHOLD, SessionScores, largest_gaps
from .wording import reading_title, scale_ticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from PIL import Image

__all__ = ["COLOURS", "MARKERS", "ProfilePlot", "ProgressPlot", "plain", "profile_figure",
           "profile_png", "progress_figure"]

COLOURS = {"a": "#0072B2", "b": "#D55E00"}  # Okabe-Ito blue and vermillion
MARKERS = {"a": "o", "b": "s"}
ZONE_FILL = "#000000"
ZONE_ALPHA = 0.075
GAP_FILL = "#FCE7A6"  # rows discussed below the picture
TITLE_FONT = FontProperties(weight="bold")


def plain(text: str) -> str:
    """User text for matplotlib: '$' would otherwise switch on math mode.

    Matplotlib built with libraqm (3.11 and later) orders right-to-left text
    itself; older versions draw characters as stored, so names are put in
    visual order for them.
    """
    from matplotlib import ft2font

    if not hasattr(ft2font, "__libraqm_version__"):
        from .textsafe import visual_order

        text = visual_order(text)
    return text.replace("$", r"\$")


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in points at ``size`` points, as Agg draws it on screen
    (laid out at 96 dpi, where glyph hinting makes text a little wider than its
    outline; never drawn), with a sliver to spare."""
    if not text:
        return 0.0
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        width, _, _ = _measurer().get_text_width_height_descent(text, prop, ismath=False)
    return float(width) * 72 / 96 * 1.02 + 1


@functools.cache
def _measurer() -> RendererAgg:
    return RendererAgg(1, 1, 96)


def wrap_text(text: str, limit: float, size: float, *, bold: bool = False,
              hyphens: bool = False) -> list[str]:
    """Greedy word wrap to ``limit`` points, measured in the font that draws it.

    Words break after hyphens when ``hyphens``; a single word wider than the
    line (a long name) is hyphenated rather than overflow.
    """
    pattern = r"[^ ]+?-(?=[^ ])|[^ ]+" if hyphens else r"[^ ]+"
    lines: list[str] = []
    line = ""
    for match in re.finditer(pattern, text):
        token = match.group()
        spaced = match.start() == 0 or text[match.start() - 1] == " "
        joined = f"{line} {token}" if (line and spaced) else line + token
        if not line or text_width(joined, size, bold) <= limit:
            line = joined
        else:
            lines.append(line)
            line = token
        while len(line) > 1 and text_width(line, size, bold) > limit:
            # too long for any line: break inside the word, with a hyphen, leaving
            # at least three letters for the next line
            cut = min(len(line) - 1, max(1, len(line) - 3))
            while cut > 1 and text_width(line[:cut] + "-", size, bold) > limit:
                cut -= 1
            head = line[:cut]
            if head[-1:].isalpha() and line[cut:cut + 1].isalpha():
                head += "-"
            lines.append(head)
            line = line[cut:]
    if line:
        lines.append(line)
    return lines or [""]


class ProfilePlot:
    """A reusable two-panel profile figure, updated in place.

    Without ``ax`` the plot owns its Figure (and can render PNG frames fast);
    with ``ax`` it draws its two panels inside that Axes' area of someone
    else's figure, the way seaborn functions do. Sizes are set in pixels at
    96 dpi, so drawn at the width it is shown at (``resize``), every label is
    at least LABEL_PX tall; ``scale`` enlarges everything for a projector.

    Each panel shows one partner's answers as filled markers and the other's
    as rings, drawn over them: where both agree the ring circles the marker,
    so neither partner ever disappears. Rows shaded are the ones discussed
    below the picture (the largest gaps).
    """

    LABEL_PX = 13.0  # item labels, titles and ticks are at least this tall on screen

    def __init__(
        self,
        spectrum: SpectrumWorksheet,
        names: Mapping[str, str],
        *,
        width: float = 10.0,
        dpi: float = 96,
        ax: Axes | None = None,
        scale: float = 1.0,
        band_label: str = "talked about below",
    ) -> None:
        self.spectrum = spectrum
        self.band_label = band_label
        self.names = dict(names)
        self.scale = scale
        n = len(spectrum.items)
        self._outer = ax
        self._pt = self.LABEL_PX * 72 / 96 * scale  # font size in points for LABEL_PX
        if ax is None:
            self.figure = Figure(figsize=(width, 8.0), dpi=dpi)  # height: _lay_out
            self.canvas: FigureCanvasAgg | None = FigureCanvasAgg(self.figure)
            axes = self.figure.subplots(1, 2, sharey=True)
        else:
            self.figure = ax.figure
            self.canvas = None
            ax.set_axis_off()
            left = ax.inset_axes([0.0, 0.0, 0.47, 1.0])
            axes = [left, ax.inset_axes([0.53, 0.0, 0.47, 1.0], sharey=left)]
            axes[1].tick_params(labelleft=False)
        self.axes = dict(zip(("a", "b"), axes, strict=True))
        y = np.arange(n)
        self._y = y
        self._bands: dict[str, list] = {"a": [], "b": []}
        self._own: dict[str, object] = {}
        self._previous: dict[str, object] = {}
        self._other: dict[str, object] = {}
        self._links: dict[str, LineCollection] = {}
        self._missing: dict[str, list] = {"a": [], "b": []}
        self._titles: dict[str, object] = {}
        self._poles: dict[str, tuple] = {}
        self._title_lines = 1
        self._header_lines = 0
        pt = self._pt
        # "not answered yet" as a filled path: drawn like a shape, far cheaper than text
        note = TextPath((0, 0), "not answered yet", size=pt * 0.95, prop={"style": "italic"})
        extent = note.get_extents()
        note = note.transformed(Affine2D().translate(-extent.width / 2, -extent.height / 2))
        lo, hi = spectrum.scale_min, spectrum.scale_max
        edge = ZONE_THRESHOLD - 0.5
        marks = min(scale, 1.1)  # markers grow less than text: rows stay short on a projector
        own_size, ring_size = (12 * marks) ** 2, (19 * marks) ** 2
        for partner, panel in self.axes.items():
            other = "b" if partner == "a" else "a"
            panel.axvspan(lo - 0.5, -edge, color=ZONE_FILL, alpha=ZONE_ALPHA, zorder=0, lw=0)
            panel.axvspan(edge, hi + 0.5, color=ZONE_FILL, alpha=ZONE_ALPHA, zorder=0, lw=0)
            for row in y:
                band = panel.axhspan(row - 0.5, row + 0.5, color=GAP_FILL, zorder=0.5, lw=0)
                band.set_visible(False)
                self._bands[partner].append(band)
                at = (Affine2D().scale(1 / 72) + self.figure.dpi_scale_trans
                      + ScaledTranslation(0, row, panel.transData))
                text = PathPatch(note, transform=at, color="#595959", lw=0, zorder=3)
                panel.add_artist(text)
                self._missing[partner].append(text)
            panel.axvline(0, color="#8A8A8A", lw=0.9, zorder=1)
            panel.set_xlim(lo - 0.5, hi + 0.5)
            panel.set_ylim(n - 0.5, -0.5)
            ticks = scale_ticks(spectrum)
            panel.set_xticks([v for v, _ in ticks])
            panel.set_xticklabels([label for _, label in ticks], fontsize=pt)
            panel.tick_params(axis="y", length=0)
            for side in ("top", "right"):
                panel.spines[side].set_visible(False)
            trans = panel.get_xaxis_transform()
            # the poles above the panel (wrapped in _lay_out); the middle is in the legend
            self._poles[partner] = (
                panel.text(lo - 0.45, 1.0, "", transform=trans, fontsize=pt, va="bottom",
                           ha="left", multialignment="left", color="#3D3D3D", linespacing=1.15),
                panel.text(hi + 0.45, 1.0, "", transform=trans, fontsize=pt, va="bottom",
                           ha="right", multialignment="right", color="#3D3D3D", linespacing=1.15),
            )
            self._links[partner] = LineCollection([], colors="#6E6E6E", linewidths=1.4 * scale,
                                                  linestyles=":", zorder=2)
            panel.add_collection(self._links[partner])
            self._own[partner] = panel.scatter(
                [], [], s=own_size, marker=MARKERS[partner], color=COLOURS[partner],
                edgecolors="white", linewidths=1.0, zorder=4, clip_on=False,
            )
            # the other partner as a ring, on top: visible even where both agree
            self._other[partner] = panel.scatter(
                [], [], s=ring_size, marker="o", facecolors="none",
                edgecolors=COLOURS[other], linewidths=2.2 * marks, zorder=4.5, clip_on=False,
            )
            # last session's position, faint, only when the facilitator asks for it
            self._previous[partner] = panel.scatter(
                [], [], s=own_size, marker=MARKERS[partner], facecolors="none",
                edgecolors=COLOURS[partner], linewidths=1.2 * scale, alpha=0.45, zorder=2.5,
                linestyles=":",
            )
            # Titles change with the reading; drawn as paths so the background stays cached.
            self._titles[partner] = PathPatch(TextPath((0, 0), "."), color=COLOURS[partner],
                                              lw=0, zorder=5, clip_on=False)
            panel.add_artist(self._titles[partner])
        self.axes["a"].set_yticks(y)
        self._legend_artist = None
        self._legend_cols = 5
        self._frames: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._palette = None  # every colour the picture can use, for fast PNG encoding
        self._background = None  # pixels of everything but markers, links and bands
        self._title_text: dict[str, str] = {}
        self._title_px: float | None = None
        self._lay_out()

    @classmethod
    def for_screen(cls, spectrum: SpectrumWorksheet, names: Mapping[str, str],
                   width_px: int, height_px: int, *, label_px: float = 20.0) -> ProfilePlot:
        """The largest picture that fits a screen of ``width_px`` x ``height_px``
        with labels at least ``label_px`` tall (a projector, seen from across the
        room). Where even the smallest such picture is taller, it keeps its labels
        and the page scrolls."""
        band = "largest gaps"  # the words about them are not on a presentation screen

        def build(scale: float) -> ProfilePlot:
            plot = cls(spectrum, names, scale=scale, band_label=band)
            plot.resize(width_px)
            return plot

        def height(plot: ProfilePlot) -> float:
            return plot.figure.get_figheight() * plot.figure.dpi

        low = label_px / cls.LABEL_PX
        best = build(low)
        if height(best) >= height_px:
            return best
        # larger text wraps sooner, so the height is not proportional: search
        high = min(low * height_px / height(best), 2.6)
        for _ in range(4):
            if high - low < 0.04:
                break
            middle = (low + high) / 2
            plot = build(middle)
            # larger, but not at the price of titles and poles broken over more lines
            if height(plot) <= height_px and plot._header_lines <= best._header_lines:
                best, low = plot, middle
            else:
                high = middle
        return best

    def _px(self, points: float) -> float:
        return points * self.figure.dpi / 72

    def _text_px(self, text: str, size: float, bold: bool = False) -> float:
        return self._px(text_width(text, size, bold))

    def _wrap(self, text: str, limit_px: float, size: float, *, bold: bool = False,
              hyphens: bool = False) -> list[str]:
        return wrap_text(text, limit_px * 72 / self.figure.dpi, size, bold=bold,
                         hyphens=hyphens)

    def _labels(self, width_px: float) -> list[str]:
        """Item titles wrapped to about a third of the width: on one line where
        there is room, so rows (and the whole picture) stay short."""
        budget = 0.4 * width_px if width_px >= 800 else max(110.0, 0.22 * width_px)
        return ["\n".join(self._wrap(plain(item.title), budget, self._pt))
                for item in self.spectrum.items]

    def _lay_out(self) -> None:
        with warnings.catch_warnings():
            # names with emoji are reported once, with the report's text
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            self._lay_out_header()

    def _lay_out_header(self) -> None:
        """Margins in pixels, whatever the width: the item labels get the room
        they need on the left, the titles and pole labels (wrapped to the panel)
        theirs above, the scale and the legend theirs below. Rows keep their
        height, so the figure grows with the header rather than squashing rows."""
        pt = self._pt
        lh = self._px(pt) * 1.2  # one line of label text, in pixels
        if self._outer is None:
            width_px = self.figure.get_figwidth() * self.figure.dpi
            panel_px = None
        else:
            box = self._outer.get_position()
            width_px = box.width * self.figure.get_figwidth() * self.figure.dpi
            panel_px = 0.47 * width_px
        labels = self._labels(width_px)
        self.axes["a"].set_yticklabels(labels, fontsize=pt)
        label_px = max((self._text_px(line, pt) for text in labels for line in text.split("\n")),
                       default=80)
        left_px, right_px, gap_px = label_px + 16, 10.0, 26.0
        if panel_px is None:
            panel_px = (width_px - left_px - right_px - gap_px) / 2
        # pole labels: the left takes up to half the panel, the right what is left over;
        # where a word would have to be broken, "Toward" goes (the ends say it anyway)
        def poles(left_label: str, right_label: str) -> tuple[list[str], list[str]]:
            left = self._wrap(left_label, 0.5 * panel_px - 4, pt, hyphens=True)
            used = max(self._text_px(line, pt) for line in left)
            return left, self._wrap(right_label, panel_px - used - 10, pt, hyphens=True)

        def broken(lines: list[str], label: str) -> bool:  # a hyphen of our own inside a word
            return any(line.endswith("-") and line not in label for line in lines)

        labels = (self.spectrum.left_label, self.spectrum.right_label)
        left, right = poles(*labels)
        if broken(left, labels[0]) or broken(right, labels[1]):
            short = tuple(re.sub(r"^towards? ", "", x, flags=re.IGNORECASE) for x in labels)
            left, right = poles(*short)
        pole_lines = max(len(left), len(right))
        self._header_lines = pole_lines
        title_pt = pt * 1.15
        self._title_px = panel_px
        readings = list(self.spectrum.reading_titles.values()) or [""]
        self._title_lines = min(3, max(
            len(self._wrap(f"{plain(self.names.get(p, p))}: {r}", panel_px, title_pt,
                           bold=True, hyphens=True))
            for p in ("a", "b") for r in readings))
        title_lh = self._px(title_pt) * 1.2
        self._header_lines += self._title_lines
        title_at = pole_lines * lh + 8  # pixels from the panel top to the title's last line
        for partner, panel in self.axes.items():
            poles = self._poles[partner]
            poles[0].set_text("\n".join(left))
            poles[1].set_text("\n".join(right))
            for text in poles:
                text.set_y(1.0)
                text.set_transform(panel.get_xaxis_transform()
                                   + ScaledTranslation(0, 3 / 96, self.figure.dpi_scale_trans))
            self._titles[partner].set_transform(
                Affine2D().scale(1 / 72) + self.figure.dpi_scale_trans
                + ScaledTranslation(0, 1, panel.transAxes)
                + ScaledTranslation(0, (title_at + 3) / 96, self.figure.dpi_scale_trans))
        for partner, text in list(self._title_text.items()):
            self._title_text.pop(partner)
            self._set_title(partner, text)
        self._legend()
        if self._outer is not None:
            return
        legend_px = self._legend_height(width_px)
        top_px = 8 + self._title_lines * title_lh + 8 + pole_lines * lh + 6
        scale_px = self._px(pt * 1.3 + 9)  # the tick labels
        bottom_px = scale_px + legend_px + 10
        lines = max((text.count("\n") + 1 for text in labels), default=1)
        row_px = max(self._px(19 * min(self.scale, 1.1)) + 8, lines * lh + 10)
        height_px = top_px + bottom_px + len(self._y) * row_px
        dpi = self.figure.dpi
        self.figure.set_size_inches(width_px / dpi, height_px / dpi)
        self.figure.subplots_adjust(
            left=left_px / width_px, right=1 - right_px / width_px,
            top=1 - top_px / height_px, bottom=bottom_px / height_px,
            wspace=gap_px / panel_px,
        )
        self._background = None
        self._palette = None

    def _legend_height(self, width_px: float) -> float:
        """Fit the legend to the width (one row, else two) and return its height."""
        renderer = self.canvas.get_renderer()
        for cols in (5, 3, 2):
            self._legend_cols = cols
            self._legend()
            box = self._legend_artist.get_window_extent(renderer)
            if box.width <= width_px - 12:
                break
        return box.height

    def resize(self, width_px: int) -> None:
        """Lay the picture out for ``width_px`` pixels, the width it is shown at."""
        if self.canvas is None:
            return
        width_px = max(420, int(width_px))
        current = round(self.figure.get_figwidth() * self.figure.dpi)
        if current == width_px:
            return
        self.figure.set_size_inches(width_px / self.figure.dpi, self.figure.get_figheight())
        self._lay_out()

    def _legend(self) -> None:
        pt = self._pt
        handles = [
            Line2D([], [], marker=MARKERS[p], color=COLOURS[p], ls="",
                   markersize=12 * min(self.scale, 1.1),
                   markeredgecolor="white", label=plain(self.names.get(p, p)))
            for p in ("a", "b")
        ]
        handles += [
            Line2D([], [], marker="o", ls="", markersize=15 * min(self.scale, 1.1),
                   markerfacecolor="none", markeredgecolor="#555555",
                   markeredgewidth=2 * min(self.scale, 1.1), label="ring: the other partner"),
            Patch(facecolor="white", edgecolor="#8A8A8A", linewidth=1.2,
                  label=self.spectrum.middle_label),
            Patch(facecolor=GAP_FILL, edgecolor="#B8860B", linewidth=1.2,
                  label=self.band_label),
        ]
        if self._legend_artist is not None:
            self._legend_artist.remove()
        if self._outer is not None:
            self._legend_artist = self._outer.legend(
                handles=handles, loc="upper center", ncol=self._legend_cols, frameon=False,
                fontsize=pt,
                bbox_to_anchor=(0.5, -0.06),
            )
        else:
            self._legend_artist = self.figure.legend(
                handles=handles, loc="lower center", ncol=self._legend_cols, frameon=False,
                fontsize=pt,
                bbox_to_anchor=(0.5, 0.01), columnspacing=1.2, handletextpad=0.4, handlelength=1.6,
            )
        self._background = None

    def _dynamic(self) -> list:
        """Artists that change with answers, in drawing order."""
        out: list = []
        for partner in ("a", "b"):
            out += self._bands[partner]
            out += [self._links[partner], self._previous[partner], self._own[partner],
                    self._other[partner]]
            out += self._missing[partner]
            out.append(self._titles[partner])
        return out

    def _set_title(self, partner: str, text: str) -> None:
        """Draw the title wrapped to the panel, its last line on a fixed baseline;
        beyond the lines the header has room for, the end is cut with an ellipsis."""
        if self._title_text.get(partner) == text:
            return
        self._title_text[partner] = text
        size = self._pt * 1.15
        lines = ([text] if self._title_px is None
                 else self._wrap(text, self._title_px, size, bold=True, hyphens=True))
        if len(lines) > self._title_lines:
            lines = lines[:self._title_lines]
            last = lines[-1]
            while last and self._text_px(last + "\u2026", size, True) > (self._title_px or 1e9):
                last = last[:-1]
            lines[-1] = last + "\u2026"
        step = size * 1.2
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            paths = [TextPath((0, (len(lines) - 1 - k) * step), line, size=size,
                              prop=TITLE_FONT) for k, line in enumerate(lines)]
        self._titles[partner].set_path(Path.make_compound_path(*paths))

    def title(self, partner: str) -> str:
        """The panel's title as shown (name and overall reading)."""
        return self._title_text.get(partner, "")

    def set_names(self, names: Mapping[str, str]) -> None:
        if dict(names) != self.names:
            self.names = dict(names)
            self._title_text.clear()
            self._lay_out()
            if self._frames is not None:
                self.update_frames(*self._frames)

    def set_previous(self, positions: Mapping[str, Mapping[str, int]] | None) -> None:
        """Show each partner's positions from an earlier session as faint outlines
        (``{"a": {item_id: position}, ...}``), or hide them with ``None``."""
        ids = {item.id: i for i, item in enumerate(self.spectrum.items)}
        for partner in ("a", "b"):
            points = [(value, ids[item]) for item, value in
                      (positions or {}).get(partner, {}).items() if item in ids]
            self._previous[partner].set_offsets(np.array(points, dtype=float).reshape(-1, 2))

    def update(self, scores: SessionScores) -> None:
        """Move markers, links, bands and titles to match ``scores``."""
        self.update_frames(scores.gaps, scores.summary)

    def update_frames(self, gap_frame: pd.DataFrame, summary_frame: pd.DataFrame) -> None:
        """Same as ``update``, from the two frames the picture needs."""
        self._frames = (gap_frame, summary_frame)
        wide = gap_frame
        positions = {
            "a": wide["position_a"].to_numpy(dtype=float, na_value=np.nan),
            "b": wide["position_b"].to_numpy(dtype=float, na_value=np.nan),
        }
        discussed = set(largest_gaps(gap_frame)["item_id"])
        readings = dict(zip(summary_frame["partner"], summary_frame["reading"], strict=True))
        y = self._y
        item_ids = list(wide["item_id"])
        for partner in ("a", "b"):
            other = "b" if partner == "a" else "a"
            own, theirs = positions[partner], positions[other]
            has_own, has_theirs = ~np.isnan(own), ~np.isnan(theirs)
            self._own[partner].set_offsets(np.column_stack([own[has_own], y[has_own]]))
            self._other[partner].set_offsets(
                np.column_stack([theirs[has_theirs], y[has_theirs]]).reshape(-1, 2)
            )
            both = has_own & has_theirs & (own != theirs)
            self._links[partner].set_segments(
                [[(own[i], y[i]), (theirs[i], y[i])] for i in np.flatnonzero(both)]
            )
            for i, band in enumerate(self._bands[partner]):
                band.set_visible(item_ids[i] in discussed)
                self._missing[partner][i].set_visible(not has_own[i])
            name = plain(self.names.get(partner, partner))
            reading = reading_title(self.spectrum, readings.get(partner, "none"))
            # U+200E keeps the title left to right even when the name is not
            self._set_title(partner, f"\u200e{name}: {reading}")

    def png(self) -> bytes:
        """The current state as PNG bytes (only for a plot that owns its Figure).

        The static parts (axes, labels, zones, legend) are rendered once and
        kept as a pixel buffer; each call restores it and draws only the
        artists that move, which is what keeps live updates fast.
        """

        dynamic = self._dynamic()
        with warnings.catch_warnings():
            # A name with emoji would warn on every redraw; the report names such
            # characters once, and the widgets show names in the browser's fonts.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            return self._render(dynamic)

    def _render(self, dynamic: list) -> bytes:
        from PIL import Image

        if self.canvas is None:
            raise ValueError("this plot draws into another figure; save that figure instead")
        if self._palette is None:
            self._build_palette()
        if self._background is None:
            visible = [a.get_visible() for a in dynamic]
            for artist in dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            for artist, shown in zip(dynamic, visible, strict=True):
                artist.set_visible(shown)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in dynamic:
            if artist.get_visible():
                artist.draw(renderer)
        image = self._image().quantize(palette=self._palette, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()

    def _image(self) -> Image.Image:
        from PIL import Image

        width, height = self.canvas.get_width_height()
        return Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(),
                                "raw", "RGBA", 0, 1).convert("RGB")

    def _build_palette(self) -> None:
        """Quantize a frame that shows every state (both partners everywhere, both
        band colours, missing items) once; later frames map onto its colours, which
        makes each PNG several times faster to encode and smaller to send."""
        from PIL import Image

        n = len(self._y)
        a = [(i % 7) - 3 for i in range(n)]
        b = [3 - (i % 7) for i in range(n)]
        gap = [abs(x - y) for x, y in zip(a, b, strict=True)]
        sample = pd.DataFrame({
            "item_id": [item.id for item in self.spectrum.items],
            "position_a": pd.array([None if i == n - 1 else v for i, v in enumerate(a)],
                                   dtype="Int64"),
            "position_b": pd.array([None if i == 0 else v for i, v in enumerate(b)],
                                   dtype="Int64"),
            "gap": pd.array(gap, dtype="Int64"),
        })
        readings = pd.DataFrame({"partner": ["a", "b"], "reading": ["mixed", "balanced"]})
        current = self._frames
        previous = {p: self._previous[p].get_offsets().copy() for p in ("a", "b")}
        self.update_frames(sample, readings)
        ids = [item.id for item in self.spectrum.items]
        self.set_previous({p: {i: (k % 7) - 3 for k, i in enumerate(ids)} for p in ("a", "b")})
        self.canvas.draw()
        self._palette = self._image().quantize(192, method=Image.Quantize.FASTOCTREE)
        for p in ("a", "b"):
            self._previous[p].set_offsets(previous[p])
        if current is not None:
            self.update_frames(*current)


def profile_figure(
    spectrum: SpectrumWorksheet, scores: SessionScores, names: Mapping[str, str],
    *, ax: Axes | None = None, width: float = 10.0, dpi: float = 96, scale: float = 1.0,
) -> Figure:
    """A finished profile for the given scores: a new Figure, or drawn inside ``ax``
    (its figure is returned)."""
    plot = ProfilePlot(spectrum, names, width=width, dpi=dpi, ax=ax, scale=scale)
    plot.update(scores)
    return plot.figure


def profile_png(
    spectrum: SpectrumWorksheet, scores: SessionScores, names: Mapping[str, str],
    *, width: float = 10.0, dpi: float = 200,
) -> bytes:
    """The profile as a PNG for print: laid out at ``width`` inches, ``dpi`` pixels each."""
    figure = profile_figure(spectrum, scores, names, width=width)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # names are checked against the fonts (and reported) with the report's text
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class ProgressPlot:
    """Each item's position across sessions for both partners, as small multiples,
    with the overall lean and the mean gap over time. One Figure, updated in place.

    ``update(progress_frame, summary_frame)`` takes ``scoring.progress`` and
    ``scoring.progress_summary`` output; given ``ax``, the panels are drawn
    inside that Axes' area of another figure. Like the profile, it is laid out in
    pixels for the width it is shown at (``resize``): fewer columns on a narrow
    screen, labels never smaller than ``LABEL_PX`` (times ``scale``).
    """

    LABEL_PX = 13.0

    def __init__(self, spectrum: SpectrumWorksheet, names: Mapping[str, str], *,
                 width: float = 10.0, dpi: float = 96, ax: Axes | None = None,
                 scale: float = 1.0) -> None:
        self.spectrum = spectrum
        self.names = dict(names)
        self.scale = scale
        self._pt = self.LABEL_PX * 72 / 96 * scale
        self._outer = ax
        if ax is None:
            self.figure = Figure(figsize=(width, 6.0), dpi=dpi)
            self.canvas: FigureCanvasAgg | None = FigureCanvasAgg(self.figure)
        else:
            self.figure = ax.figure
            self.canvas = None
        self._data: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._build()

    @property
    def columns(self) -> int:
        """Panels per row: four where there is room, down to two on a narrow screen."""
        if self._outer is not None:
            return 4
        width = self.figure.get_figwidth() * self.figure.dpi / self.scale
        return 4 if width >= 760 else 3 if width >= 540 else 2

    def _build(self) -> None:
        items = self.spectrum.items
        panels = len(items) + 2
        cols = self.columns
        rows = -(-(panels + 1) // cols)  # one spare slot for the legend
        pt = self._pt
        small = pt
        if self._outer is None:
            self.figure.clear()
            dpi = self.figure.dpi
            width_px = self.figure.get_figwidth() * dpi
            pt_px = pt * 96 / 72
            height_px = rows * (2.5 * pt_px + 6 + 1.3 * pt_px + 10 + 80 * self.scale) + 8
            self.figure.set_size_inches(width_px / dpi, height_px / dpi)
            grid = self.figure.subplots(rows, cols, squeeze=False)
            pt_px = pt * 96 / 72
            head, foot, area = 2.5 * pt_px + 6, 1.3 * pt_px + 10, 80 * self.scale
            gap, left = 2.2 * pt_px + 18, 2.2 * pt_px + 8
            panel_w = (width_px - left - 10 - (cols - 1) * gap) / cols
            self.figure.subplots_adjust(
                left=left / width_px, right=1 - 10 / width_px,
                top=1 - (head + 4) / height_px, bottom=(foot + 4) / height_px,
                hspace=(head + foot) / area, wspace=gap / panel_w,
            )
            slots = [a for row in grid for a in row]
            limit = (panel_w + 4) * 72 / dpi
        else:
            ax = self._outer
            ax.set_axis_off()
            w, h = 1 / cols, 1 / rows
            slots = [ax.inset_axes([c * w + 0.06 * w, 1 - (r + 1) * h + 0.22 * h,
                                    0.86 * w, 0.58 * h])
                     for r in range(rows) for c in range(cols)]
            limit = 180.0
        self.item_axes = dict(zip([i.id for i in items], slots, strict=False))
        self.lean_ax, self.gap_ax = slots[len(items)], slots[len(items) + 1]
        legend_ax = slots[len(items) + 2]
        for extra in slots[len(items) + 3:]:
            extra.set_visible(False)
        lo, hi = self.spectrum.scale_min, self.spectrum.scale_max
        self._lines: dict[tuple[str, str], Line2D] = {}
        for item in items:
            a = self.item_axes[item.id]
            a.set_title("\n".join(wrap_text(plain(item.title), limit, pt)), fontsize=pt,
                        loc="left")
            self._scale_axes(a, lo, hi, small)
            for partner in ("a", "b"):
                self._lines[(item.id, partner)] = self._line(a, partner)
        self.lean_ax.set_title("Overall lean", fontsize=pt, loc="left", weight="bold")
        self._scale_axes(self.lean_ax, lo, hi, small)
        for partner in ("a", "b"):
            self._lines[("lean", partner)] = self._line(self.lean_ax, partner)
        self.gap_ax.set_title("\n".join(wrap_text("Mean gap between you", limit, pt, bold=True)),
                              fontsize=pt, loc="left", weight="bold")
        self.gap_ax.set_ylim(-0.3, hi - lo + 0.3)
        self.gap_ax.set_yticks([0, (hi - lo) // 2, hi - lo])
        self.gap_ax.tick_params(labelsize=small, length=2)
        for side in ("top", "right"):
            self.gap_ax.spines[side].set_visible(False)
        (self._gap_line,) = self.gap_ax.plot([], [], color="#555555", marker="D",
                                             markersize=5 * self.scale, lw=1.6)
        legend_ax.set_axis_off()
        self._legend_ax = legend_ax
        self._legend()
        self._sessions: list[int] = []
        if self._data is not None:
            self.update(*self._data)

    def resize(self, width_px: int) -> None:
        """Lay the chart out for ``width_px`` pixels, the width it is shown at."""
        if self.canvas is None:
            return
        width_px = max(360, int(width_px))
        if round(self.figure.get_figwidth() * self.figure.dpi) == width_px:
            return
        self.figure.set_size_inches(width_px / self.figure.dpi, self.figure.get_figheight())
        self._build()

    def _scale_axes(self, a: Axes, lo: int, hi: int, size: float) -> None:
        a.set_ylim(lo - 0.6, hi + 0.6)
        a.axhline(0, color="#9A9A9A", lw=0.7, zorder=1)
        edge = ZONE_THRESHOLD - 0.5
        a.axhspan(lo - 0.6, -edge, color=ZONE_FILL, alpha=ZONE_ALPHA, lw=0, zorder=0)
        a.axhspan(edge, hi + 0.6, color=ZONE_FILL, alpha=ZONE_ALPHA, lw=0, zorder=0)
        a.set_yticks([lo, 0, hi])
        a.set_yticklabels([f"{lo:+d}", "0", f"{hi:+d}"])
        a.tick_params(labelsize=size, length=2)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)

    def _line(self, a: Axes, partner: str) -> Line2D:
        # b is drawn larger and hollow, so where both agree both stay visible
        s = self.scale
        if partner == "a":
            (line,) = a.plot([], [], color=COLOURS["a"], marker=MARKERS["a"], markersize=5 * s,
                             lw=1.6 * s, zorder=4)
        else:
            (line,) = a.plot([], [], color=COLOURS["b"], marker=MARKERS["b"], markersize=8 * s,
                             markerfacecolor="none", markeredgewidth=1.5 * s, lw=1.6 * s,
                             ls="--", zorder=3)
        return line

    def _legend(self) -> None:
        handles = [
            Line2D([], [], color=COLOURS["a"], marker=MARKERS["a"], lw=1.6,
                   label=plain(self.names.get("a", "a"))),
            Line2D([], [], color=COLOURS["b"], marker=MARKERS["b"], lw=1.6, ls="--",
                   markerfacecolor="none", label=plain(self.names.get("b", "b"))),
            Line2D([], [], color="#555555", marker="D", lw=1.6, label="mean gap"),
        ]
        self._legend_ax.clear()
        self._legend_ax.set_axis_off()
        self._legend_ax.legend(handles=handles, loc="center", frameon=False, fontsize=self._pt,
                               title="Session by session", title_fontsize=self._pt)

    def set_names(self, names: Mapping[str, str]) -> None:
        if dict(names) != self.names:
            self.names = dict(names)
            self._legend()

    def update(self, progress_frame: pd.DataFrame, summary_frame: pd.DataFrame) -> None:
        """Move every line to the given sessions' answers."""
        self._data = (progress_frame, summary_frame)
        sessions = sorted(summary_frame["session"].astype(int).tolist())
        self._sessions = sessions
        for (item_id, partner), line in self._lines.items():
            if item_id == "lean":
                ys = summary_frame.set_index("session")[f"lean_{partner}"]
                pairs = [(s, ys.get(s)) for s in sessions]
            else:
                rows = progress_frame[(progress_frame["item_id"] == item_id)
                                      & (progress_frame["partner"] == partner)]
                by_session = dict(zip(rows["session"], rows["position"], strict=True))
                pairs = [(s, by_session.get(s)) for s in sessions]
            pairs = [(x, float(y)) for x, y in pairs if y is not None and not pd.isna(y)]
            line.set_data([p[0] for p in pairs], [p[1] for p in pairs])
        gaps = summary_frame.set_index("session")["mean_gap"]
        pairs = [(s, float(gaps.get(s))) for s in sessions if not pd.isna(gaps.get(s))]
        self._gap_line.set_data([p[0] for p in pairs], [p[1] for p in pairs])
        lo_x = (sessions[0] if sessions else 1) - 0.4
        hi_x = (sessions[-1] if sessions else 1) + 0.4
        for a in [*self.item_axes.values(), self.lean_ax, self.gap_ax]:
            a.set_xlim(lo_x, hi_x)
            a.set_xticks(sessions)
            a.set_xticklabels([str(s) for s in sessions])

    def png(self, dpi: float | None = None) -> bytes:
        """The current state as PNG bytes (only for a plot that owns its Figure)."""
        if self.canvas is None:
            raise ValueError("this plot draws into another figure; save that figure instead")
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            self.figure.savefig(buffer, format="png", dpi=dpi or self.figure.dpi,
                                pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


def progress_figure(
    spectrum: SpectrumWorksheet, progress_frame: pd.DataFrame, summary_frame: pd.DataFrame,
    names: Mapping[str, str], *, ax: Axes | None = None, width: float = 10.0, dpi: float = 96,
    scale: float = 1.0,
) -> Figure:
    """The couple's progress over sessions: a new Figure, or drawn inside ``ax``."""
    plot = ProgressPlot(spectrum, names, width=width, dpi=dpi, ax=ax, scale=scale)
    plot.update(progress_frame, summary_frame)
    return plot.figure
