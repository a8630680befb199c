"""Images and feature maps: an input photograph, or what a kernel made of it."""
import numpy as np

from .text import plot_title

__all__ = ["FeatureMap", "plot_image", "plot_feature_map"]


def _clean(ax):
    # no axis machinery (ticks, spines): it costs more to draw than the image itself
    ax.set_axis_off()


def plot_image(ax, image, *, title=None, cmap="gray", vmin=None, vmax=None, fast_text=False):
    """Show a grayscale (H, W) or colour (H, W, 3) image without ticks; returns the AxesImage.

    fast_text: draw the title as cached outlines (see `plot_title`), for figures redrawn often.
    """
    image = np.asarray(image)
    artist = ax.imshow(image, cmap=None if image.ndim == 3 else cmap, vmin=vmin, vmax=vmax,
                       interpolation="antialiased")
    _clean(ax)
    if title is not None:
        plot_title(ax, title, fontsize=10, fast=fast_text)
    return artist


class FeatureMap:
    """An AxesImage that rescales itself to each new map.

    Maps with both signs (edge detectors) are drawn with a diverging colour map centred on 0,
    so that white means "no response"; other maps in gray from their minimum to their maximum.
    """

    def __init__(self, ax, *, title=None, fast_text=False):
        self.ax = ax
        self.title = title
        self.fast_text = fast_text
        self.image = ax.imshow(np.zeros((2, 2)), cmap="gray", interpolation="antialiased")
        _clean(ax)

    def artists(self):
        return [self.image]

    def set_data(self, fmap, *, diverging=None, title=None):
        """Show `fmap` (2-D); diverging=None picks a diverging map when fmap has negative values."""
        fmap = np.asarray(fmap, dtype=np.float64)
        if fmap.ndim != 2:
            raise ValueError(f"plot_feature_map needs a 2-D map, got shape {fmap.shape}")
        finite = fmap[np.isfinite(fmap)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if diverging is None:
            diverging = lo < 0
        if diverging:
            bound = max(abs(lo), abs(hi)) or 1.0
            self.image.set_cmap("RdBu_r")
            self.image.set_clim(-bound, bound)
        else:
            self.image.set_cmap("gray")
            self.image.set_clim(lo, hi if hi > lo else lo + 1.0)
        self.image.set_data(fmap)
        h, w = fmap.shape
        self.image.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
        self.ax.set_xlim(-0.5, w - 0.5)
        self.ax.set_ylim(h - 0.5, -0.5)
        title = self.title if title is None else title
        if title is not None:
            plot_title(self.ax, title, fontsize=10, fast=self.fast_text)
        return self


def plot_feature_map(ax, fmap, *, diverging=None, title=None, fast_text=False):
    """Show a feature map (H, W); returns a `FeatureMap` (update in place with set_data).

    diverging: True for a blue-white-red map centred on 0 (signed responses), False for gray,
    None to decide from the data (negative values -> diverging).
    fast_text: draw the title as cached outlines (see `plot_title`), for figures redrawn often.
    """
    return FeatureMap(ax, title=title, fast_text=fast_text).set_data(fmap, diverging=diverging)
