"""The couple's two spectrum profiles, side by side.

``ProfilePlot`` builds one Figure and afterwards only moves its artists, so a
slider move in the room redraws in a few tens of milliseconds and never
creates a new Figure. ``profile_figure`` is the one-shot form (seaborn habit:
data in, Figure out) for reports. Partners differ by colour and by marker
shape, in the Okabe-Ito palette, which stays distinct for colour-blind readers.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D, ScaledTranslation

from .content import SpectrumWorksheet
from .scoring import ZONE_THRESHOLD, SessionScores
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
GAP_FILL = "#FFE9A8"
OPPOSITE_FILL = "#FFC94D"
BAND_ALPHA = 0.75
LARGE_GAP = 3
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


class ProfilePlot:
    """A reusable two-panel profile figure, updated in place.

    Without ``ax`` the plot owns its Figure (and can render PNG frames fast);
    with ``ax`` it draws its two panels inside that Axes' area of someone
    else's figure, the way seaborn functions do.
    """

    def __init__(
        self,
        spectrum: SpectrumWorksheet,
        names: Mapping[str, str],
        *,
        width: float = 10.0,
        dpi: float = 96,
        ax: Axes | None = None,
    ) -> None:
        self.spectrum = spectrum
        self.names = dict(names)
        n = len(spectrum.items)
        self._outer = ax
        if ax is None:
            self.figure = Figure(figsize=(width, 1.3 + 0.45 * n), dpi=dpi)
            self.canvas: FigureCanvasAgg | None = FigureCanvasAgg(self.figure)
            self.figure.subplots_adjust(left=0.2, right=0.985, top=0.86, bottom=0.14,
                                        wspace=0.06)
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
        labels = [textwrap.fill(item.title, 26) for item in spectrum.items]
        self._bands: dict[str, list] = {"a": [], "b": []}
        self._own: dict[str, object] = {}
        self._previous: dict[str, object] = {}
        self._other: dict[str, object] = {}
        self._links: dict[str, LineCollection] = {}
        self._missing: dict[str, list] = {"a": [], "b": []}
        self._titles: dict[str, object] = {}
        # "not answered yet" as a filled path: drawn like a shape, far cheaper than text
        note = TextPath((0, 0), "not answered yet", size=8.5, prop={"style": "italic"})
        extent = note.get_extents()
        note = note.transformed(Affine2D().translate(-extent.width / 2, -extent.height / 2))
        lo, hi = spectrum.scale_min, spectrum.scale_max
        edge = ZONE_THRESHOLD - 0.5
        for partner, ax in self.axes.items():
            other = "b" if partner == "a" else "a"
            ax.axvspan(lo - 0.5, -edge, color=ZONE_FILL, alpha=ZONE_ALPHA, zorder=0, lw=0)
            ax.axvspan(edge, hi + 0.5, color=ZONE_FILL, alpha=ZONE_ALPHA, zorder=0, lw=0)
            for row in y:
                band = ax.axhspan(row - 0.5, row + 0.5, color=GAP_FILL, alpha=BAND_ALPHA,
                                  zorder=0.5, lw=0)
                band.set_visible(False)
                self._bands[partner].append(band)
                at = (Affine2D().scale(1 / 72) + self.figure.dpi_scale_trans
                      + ScaledTranslation(0, row, ax.transData))
                text = PathPatch(note, transform=at, color="#6B6B6B", lw=0, zorder=3)
                ax.add_artist(text)
                self._missing[partner].append(text)
            ax.axvline(0, color="#9A9A9A", lw=0.8, zorder=1)
            ax.set_xlim(lo - 0.5, hi + 0.5)
            ax.set_ylim(n - 0.5, -0.5)
            ticks = scale_ticks(spectrum)
            ax.set_xticks([v for v, _ in ticks])
            ax.set_xticklabels([label for _, label in ticks], fontsize=9)
            ax.tick_params(axis="y", length=0)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            trans = ax.get_xaxis_transform()
            ax.text(lo - 0.45, 1.01, textwrap.fill(spectrum.left_label, 16), transform=trans,
                    fontsize=8.5, va="bottom", ha="left", color="#444444")
            ax.text(0, 1.01, textwrap.fill(spectrum.middle_label, 16), transform=trans,
                    fontsize=8.5, va="bottom", ha="center", color="#444444")
            ax.text(hi + 0.45, 1.01, textwrap.fill(spectrum.right_label, 16),
                    transform=trans, fontsize=8.5, va="bottom", ha="right", color="#444444")
            self._links[partner] = LineCollection([], colors="#777777", linewidths=1.2,
                                                  linestyles=":", zorder=2)
            ax.add_collection(self._links[partner])
            self._other[partner] = ax.scatter(
                [], [], s=60, marker=MARKERS[other], facecolors="white",
                edgecolors=COLOURS[other], linewidths=1.4, zorder=3,
            )
            self._own[partner] = ax.scatter(
                [], [], s=150, marker=MARKERS[partner], color=COLOURS[partner],
                edgecolors="white", linewidths=1.0, zorder=4,
            )
            # last session's position, faint, only when the facilitator asks for it
            self._previous[partner] = ax.scatter(
                [], [], s=150, marker=MARKERS[partner], facecolors="none",
                edgecolors=COLOURS[partner], linewidths=1.2, alpha=0.4, zorder=2.5,
                linestyles=":",
            )
            # Titles change with the reading; drawn as paths so the background stays cached.
            at = (Affine2D().scale(1 / 72) + self.figure.dpi_scale_trans
                  + ScaledTranslation(0, 1, ax.transAxes)
                  + ScaledTranslation(0, 32 / 72, self.figure.dpi_scale_trans))
            self._titles[partner] = PathPatch(TextPath((0, 0), "."), transform=at,
                                              color=COLOURS[partner], lw=0, zorder=5,
                                              clip_on=False)
            ax.add_artist(self._titles[partner])
        self.axes["a"].set_yticks(y)
        self.axes["a"].set_yticklabels(labels, fontsize=9)
        self._legend_artist = None
        self._legend()
        self._frames: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._palette = None  # every colour the picture can use, for fast PNG encoding
        self._background = None  # pixels of everything but markers, links and bands
        self._title_text: dict[str, str] = {}

    def _legend(self) -> None:
        handles = [
            Line2D([], [], marker=MARKERS[p], color=COLOURS[p], ls="", markersize=9,
                   label=plain(self.names.get(p, p)))
            for p in ("a", "b")
        ]
        handles += [
            Patch(color=GAP_FILL, alpha=BAND_ALPHA, label=f"gap of {LARGE_GAP} or more"),
            Patch(color=OPPOSITE_FILL, alpha=BAND_ALPHA, label="opposite poles"),
        ]
        if self._legend_artist is not None:
            self._legend_artist.remove()
        if self._outer is not None:
            self._legend_artist = self._outer.legend(
                handles=handles, loc="upper center", ncol=4, frameon=False, fontsize=9,
                bbox_to_anchor=(0.5, -0.06),
            )
        else:
            self._legend_artist = self.figure.legend(
                handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=9,
                bbox_to_anchor=(0.5, 0.0),
            )

        self._background = None

    def _dynamic(self) -> list:
        """Artists that change with answers, in drawing order."""
        out: list = []
        for partner in ("a", "b"):
            out += self._bands[partner]
            out += [self._links[partner], self._previous[partner], self._other[partner],
                    self._own[partner]]
            out += self._missing[partner]
            out.append(self._titles[partner])
        return out

    def _set_title(self, partner: str, text: str) -> None:
        if self._title_text.get(partner) != text:
            self._title_text[partner] = text
            self._titles[partner].set_path(TextPath((0, 0), text, size=11, prop=TITLE_FONT))

    def title(self, partner: str) -> str:
        """The panel's title as shown (name and overall reading)."""
        return self._title_text.get(partner, "")

    def set_names(self, names: Mapping[str, str]) -> None:
        if dict(names) != self.names:
            self.names = dict(names)
            self._legend()
            self._background = None

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
        gap = wide["gap"].to_numpy(dtype=float, na_value=np.nan)
        opposite = wide["opposite_poles"].to_numpy(dtype=bool)
        readings = dict(zip(summary_frame["partner"], summary_frame["reading"], strict=True))
        y = self._y
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
                large = bool(gap[i] >= LARGE_GAP) if not np.isnan(gap[i]) else False
                band.set_visible(large or bool(opposite[i]))
                band.set_color(OPPOSITE_FILL if opposite[i] else GAP_FILL)
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
            "position_a": pd.array([None if i == n - 1 else v for i, v in enumerate(a)],
                                   dtype="Int64"),
            "position_b": pd.array([None if i == 0 else v for i, v in enumerate(b)],
                                   dtype="Int64"),
            "gap": pd.array(gap, dtype="Int64"),
            "opposite_poles": [i % 2 == 0 and g >= LARGE_GAP for i, g in enumerate(gap)],
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
    *, ax: Axes | None = None, width: float = 10.0, dpi: float = 96,
) -> Figure:
    """A finished profile for the given scores: a new Figure, or drawn inside ``ax``
    (its figure is returned)."""
    plot = ProfilePlot(spectrum, names, width=width, dpi=dpi, ax=ax)
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
    inside that Axes' area of another figure.
    """

    COLUMNS = 4

    def __init__(self, spectrum: SpectrumWorksheet, names: Mapping[str, str], *,
                 width: float = 10.0, dpi: float = 96, ax: Axes | None = None) -> None:
        self.spectrum = spectrum
        self.names = dict(names)
        items = spectrum.items
        panels = len(items) + 2
        cols = self.COLUMNS
        rows = -(-(panels + 1) // cols)  # one spare slot for the legend
        if ax is None:
            self.figure = Figure(figsize=(width, 0.4 + 1.75 * rows), dpi=dpi)
            self.canvas: FigureCanvasAgg | None = FigureCanvasAgg(self.figure)
            grid = self.figure.subplots(rows, cols, squeeze=False)
            self.figure.subplots_adjust(left=0.05, right=0.99, top=0.95, bottom=0.05,
                                        hspace=0.75, wspace=0.25)
            slots = [a for row in grid for a in row]
        else:
            self.figure = ax.figure
            self.canvas = None
            ax.set_axis_off()
            w, h = 1 / cols, 1 / rows
            slots = [ax.inset_axes([c * w + 0.06 * w, 1 - (r + 1) * h + 0.22 * h,
                                    0.86 * w, 0.58 * h])
                     for r in range(rows) for c in range(cols)]
        self.item_axes = dict(zip([i.id for i in items], slots, strict=False))
        self.lean_ax, self.gap_ax = slots[len(items)], slots[len(items) + 1]
        legend_ax = slots[len(items) + 2]
        for extra in slots[len(items) + 3:]:
            extra.set_visible(False)
        lo, hi = spectrum.scale_min, spectrum.scale_max
        self._lines: dict[tuple[str, str], Line2D] = {}
        for item in items:
            a = self.item_axes[item.id]
            a.set_title(textwrap.fill(plain(item.title), 24), fontsize=8.5, loc="left")
            self._scale_axes(a, lo, hi)
            for partner in ("a", "b"):
                self._lines[(item.id, partner)] = self._line(a, partner)
        self.lean_ax.set_title("Overall lean", fontsize=8.5, loc="left", weight="bold")
        self._scale_axes(self.lean_ax, lo, hi)
        for partner in ("a", "b"):
            self._lines[("lean", partner)] = self._line(self.lean_ax, partner)
        self.gap_ax.set_title("Mean gap between you", fontsize=8.5, loc="left", weight="bold")
        self.gap_ax.set_ylim(-0.3, hi - lo + 0.3)
        self.gap_ax.tick_params(labelsize=7.5, length=2)
        for side in ("top", "right"):
            self.gap_ax.spines[side].set_visible(False)
        (self._gap_line,) = self.gap_ax.plot([], [], color="#555555", marker="D",
                                             markersize=4.5, lw=1.6)
        legend_ax.set_axis_off()
        self._legend_ax = legend_ax
        self._legend()
        self._sessions: list[int] = []

    @staticmethod
    def _scale_axes(a: Axes, lo: int, hi: int) -> None:
        a.set_ylim(lo - 0.6, hi + 0.6)
        a.axhline(0, color="#9A9A9A", lw=0.7, zorder=1)
        edge = ZONE_THRESHOLD - 0.5
        a.axhspan(lo - 0.6, -edge, color=ZONE_FILL, alpha=ZONE_ALPHA, lw=0, zorder=0)
        a.axhspan(edge, hi + 0.6, color=ZONE_FILL, alpha=ZONE_ALPHA, lw=0, zorder=0)
        a.set_yticks([lo, 0, hi])
        a.set_yticklabels([f"{lo:+d}", "0", f"{hi:+d}"])
        a.tick_params(labelsize=7.5, length=2)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)

    @staticmethod
    def _line(a: Axes, partner: str) -> Line2D:
        # b is drawn larger and hollow, so where both agree both stay visible
        if partner == "a":
            (line,) = a.plot([], [], color=COLOURS["a"], marker=MARKERS["a"], markersize=4.5,
                             lw=1.6, zorder=4)
        else:
            (line,) = a.plot([], [], color=COLOURS["b"], marker=MARKERS["b"], markersize=7,
                             markerfacecolor="none", markeredgewidth=1.4, lw=1.6, ls="--",
                             zorder=3)
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
        self._legend_ax.legend(handles=handles, loc="center", frameon=False, fontsize=9)

    def set_names(self, names: Mapping[str, str]) -> None:
        if dict(names) != self.names:
            self.names = dict(names)
            self._legend()

    def update(self, progress_frame: pd.DataFrame, summary_frame: pd.DataFrame) -> None:
        """Move every line to the given sessions' answers."""
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
        self.gap_ax.set_xlabel("session", fontsize=7.5, labelpad=1)

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
) -> Figure:
    """The couple's progress over sessions: a new Figure, or drawn inside ``ax``."""
    plot = ProgressPlot(spectrum, names, width=width, dpi=dpi, ax=ax)
    plot.update(progress_frame, summary_frame)
    return plot.figure
