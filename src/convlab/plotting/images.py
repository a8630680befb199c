"""Images and feature maps: an input photograph, or what a kernel made of it.

Colour maps are colour-blind safe: blue-white-red (ColorBrewer's RdBu, centred on 0) for signed
responses, and a perceptually uniform one (magma) for magnitudes. Wherever colour encodes a
value, `add_colorbar` gives its scale.
"""
import numpy as np
from matplotlib.colors import Normalize

from .imagecache import cache_pixels
from .text import PathLabels, plot_title

__all__ = ["FeatureMap", "ColorScale", "plot_image", "plot_feature_map", "add_colorbar", "SIGNED_CMAP",
           "MAGNITUDE_CMAP"]

SIGNED_CMAP = "RdBu_r"
MAGNITUDE_CMAP = "magma"
ROBUST_PERCENTILE = 99.5  # feature maps are scaled to this percentile, so a few outliers do not wash them out


def _clean(ax):
    # no axis machinery (ticks, spines): it costs more to draw than the image itself
    ax.set_axis_off()


def plot_image(ax, image, *, title=None, cmap="gray", vmin=None, vmax=None, fast_text=False,
               interpolation="antialiased"):
    """Show a grayscale (H, W) or colour (H, W, 3) image without ticks; returns the AxesImage.

    fast_text: draw the title as cached outlines (see `plot_title`), for figures redrawn often.
    interpolation: "nearest" shows every pixel of a small image as a square (and draws faster).
    """
    image = np.asarray(image)
    artist = cache_pixels(ax.imshow(image, cmap=None if image.ndim == 3 else cmap, vmin=vmin, vmax=vmax,
                                    interpolation=interpolation))
    _clean(ax)
    if title is not None:
        plot_title(ax, title, fontsize=10, fast=fast_text)
    return artist


def _tick(value):
    value = value + 0.0  # -0.0 reads 0
    return f"{value:.3g}".replace("-", "−")


def tick_stand_in(room):
    """What a colour bar's tick label is laid out as: zeros up to the next multiple of 3 characters,
    and at least `room` (see `ColorScale`), so that most new numbers do not re-lay out the figure."""
    return lambda tick: "0" * max(room, -(-len(tick) // 3) * 3)


class ColorScale:
    """A colour bar that is cheap to redraw, for explorers: matplotlib's colour bar axes and ramp
    (so that layout engines place it), but without its tick machinery, which costs milliseconds per
    draw; three tick labels (both ends and the middle) are drawn as cached outlines instead.

    `update()` follows the mappable's colour map and limits (FeatureMap calls it on every change).
    """

    def __init__(self, ax, mappable, *, label=None, fontsize=8, fraction=0.06, pad=0.04, tick_room=3):
        self.mappable = mappable
        self.fontsize = fontsize
        figure = np.ravel(ax)[0].figure
        self.bar = figure.colorbar(mappable, ax=ax, fraction=fraction, pad=pad)
        # matplotlib would rebuild the whole bar whenever the image's limits change; instead the
        # ramp keeps a norm of its own (the image's limits now), so it always shows the whole map
        mappable.callbacks.disconnect(mappable.colorbar_cid)
        self.bar.solids.set_norm(Normalize(*mappable.get_clim()))
        self.ax = self.bar.ax
        self.ax.xaxis.set_visible(False)
        self.ax.yaxis.set_visible(False)
        self.ticks = PathLabels(self.ax, clip_on=False, coords="axes", in_layout=True)
        # new numbers at every change: laid out as zeros up to the next multiple of 3 characters, and
        # at least `tick_room` (as wide as any digit; a minus sign is wider, but the rounding up covers
        # it): a feature map's bar asks for 6, so that its usual ticks ("0", "0.5", "−1.25") share
        # one layout and only a longer one re-lays out
        self.ticks.collection.layout_stand_in = tick_stand_in(tick_room)
        self.title = PathLabels(self.ax, clip_on=False, coords="axes", in_layout=True)
        if label:
            self.title.set([(0.5, 1.03)], [label], "black", fontsize, block=True)
        self.update()

    def update(self):
        lo, hi = self.mappable.get_clim()
        if self.bar.solids.get_cmap() is not self.mappable.get_cmap():
            self.bar.solids.set_cmap(self.mappable.get_cmap())
        self.ticks.set([(1.4, y) for y in (0, 0.5, 1)], [_tick(v) for v in (lo, (lo + hi) / 2, hi)], "black",
                       self.fontsize, left=True)
        return self


class _Colorbar:
    """matplotlib's Colorbar with the same `update()` and `ax` as ColorScale (for static figures)."""

    def __init__(self, ax, mappable, *, label=None, fontsize=9, **kwargs):
        self.mappable = mappable
        figure = np.ravel(ax)[0].figure  # one Axes, or several that share the bar
        self.bar = figure.colorbar(mappable, ax=ax, fraction=kwargs.pop("fraction", 0.06),
                                   pad=kwargs.pop("pad", 0.03), **kwargs)
        self.ax = self.bar.ax
        self.bar.ax.tick_params(labelsize=fontsize)
        if label:
            self.bar.set_label(label, fontsize=fontsize)

    def update(self):
        self.bar.update_normal(self.mappable)
        return self


def add_colorbar(ax, mappable, *, label=None, fontsize=None, fast=False, **kwargs):
    """A colour bar for `mappable` (an image) beside `ax` (or an array of axes sharing it), labels at `fontsize`.

    fast=False: matplotlib's Colorbar (nice ticks; for static figures); fast=True: a `ColorScale`
    (three ticks, cheap to redraw; for explorers). Both have `.ax` and `.update()`; matplotlib's is
    at `.bar`.
    """
    if fast:
        return ColorScale(ax, mappable, label=label, fontsize=fontsize or 8, **kwargs)
    return _Colorbar(ax, mappable, label=label, fontsize=fontsize or 9, **kwargs)


def _robust_bound(values, percentile=ROBUST_PERCENTILE):
    """The `percentile` of |values| (on a strided sample of at most ~50k values, which is fast)."""
    step = max(1, values.size // 50_000)
    return float(np.percentile(np.abs(values[::step]), percentile))


class FeatureMap:
    """An AxesImage that rescales itself to each new map.

    Maps with both signs (edge detectors) are drawn with a diverging colour map centred on 0,
    so that white means "no response"; other maps with a perceptually uniform one from 0 (or their
    minimum) up. The scale ends at the 99.5th percentile of the magnitudes (robust=True), so that
    a few extreme pixels (drawn in the end colour) do not leave the rest faint.
    """

    def __init__(self, ax, *, title=None, fast_text=False, colorbar=False, label=None, interpolation="antialiased"):
        self.ax = ax
        self.title = title
        self.fast_text = fast_text
        self.image = cache_pixels(ax.imshow(np.zeros((2, 2)), cmap=MAGNITUDE_CMAP, interpolation=interpolation,
                                            vmin=0, vmax=1))
        _clean(ax)
        # (fast: ticks laid out as 6 characters, so that a new map's ticks do not re-lay out the figure)
        self.colorbar = add_colorbar(ax, self.image, label=label, fast=fast_text,
                                     **({"tick_room": 6} if fast_text else {})) if colorbar else None
        self._shape = self._title = None  # what the last set_data showed

    def artists(self):
        return [self.image] + ([self.colorbar.ax] if self.colorbar is not None else [])

    def set_data(self, fmap, *, diverging=None, title=None, robust=True, bound=None):
        """Show `fmap` (2-D); diverging=None picks a diverging map when fmap has negative values.

        bound: the magnitude where the colour scale ends (default: from the data, see `robust`),
        e.g. one bound for several maps that share a colour bar.
        """
        fmap = np.asarray(fmap, dtype=np.float64)
        if fmap.ndim != 2:
            raise ValueError(f"plot_feature_map needs a 2-D map, got shape {fmap.shape}")
        lo = hi = None
        if diverging is None or not diverging or bound is None:  # (the extremes are not needed otherwise)
            finite = fmap[np.isfinite(fmap)]
            lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if diverging is None:
            diverging = lo < 0
        if bound is None:
            bound = max(abs(lo), abs(hi))
            if robust and finite.size:
                bound = _robust_bound(finite) or bound
        # a new colour map only when it changes: set_cmap copies the map, whose lookup table is then
        # rebuilt at the next draw (about half a millisecond per map)
        cmap = SIGNED_CMAP if diverging else MAGNITUDE_CMAP
        if self.image.get_cmap().name != cmap:
            self.image.set_cmap(cmap)
        if diverging:
            bound = bound or 1.0
            self.image.set_clim(-bound, bound)
        else:
            low = min(lo, 0.0)
            top = bound
            self.image.set_clim(low, top if top > low else low + 1.0)
        self.image.set_data(fmap)
        # extent, limits and title only when they change: each setter runs matplotlib's callbacks
        # (a millisecond or two per map, and the channel explorer updates 12 maps per change)
        if fmap.shape != self._shape:
            self._shape = h, w = fmap.shape
            self.image.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
            self.ax.set_xlim(-0.5, w - 0.5)
            self.ax.set_ylim(h - 0.5, -0.5)
        if self.colorbar is not None:
            self.colorbar.update()  # the new colour map and limits
        title = self.title if title is None else title
        if title is not None and title != self._title:
            self._title = title
            plot_title(self.ax, title, fontsize=10, fast=self.fast_text)
        return self


def plot_feature_map(ax, fmap, *, diverging=None, title=None, fast_text=False, colorbar=False, label=None,
                     robust=True, bound=None, interpolation="antialiased"):
    """Show a feature map (H, W); returns a `FeatureMap` (update in place with set_data).

    diverging: True for a blue-white-red map centred on 0 (signed responses), False for a
    magnitude map (magma), None to decide from the data (negative values -> diverging).
    colorbar: add a colour bar (with `label`) beside the map; robust: scale to the 99.5th
    percentile of the magnitudes instead of the extreme pixel; bound: where the scale ends (several
    maps sharing one colour bar).
    fast_text: draw the title as cached outlines (see `plot_title`), for figures redrawn often.
    interpolation: "nearest" shows every pixel of a small map as a square (and draws faster).
    """
    fmap_artist = FeatureMap(ax, title=title, fast_text=fast_text, colorbar=colorbar, label=label,
                             interpolation=interpolation)
    return fmap_artist.set_data(fmap, diverging=diverging, robust=robust, bound=bound)
