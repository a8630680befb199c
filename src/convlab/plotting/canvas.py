"""An Agg canvas that lays out each text string once per process, not on every draw.

Since matplotlib 3.11, Agg shapes every Text (`FT2Font._layout`, with libraqm) each time it is
drawn: 0.1 ms per character, 3 ms for an axis label, and explorers redraw their tick and axis
labels on every slider move although they rarely change. The glyphs and their positions depend
only on the font, its size, the dpi, the string and the hinting, so they are cached on that key;
the pixels are still rendered at each draw, exactly as Agg renders them. Other matplotlib
versions (no `_layout`) draw as usual.
"""
import functools

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.ft2font import FT2Font

__all__ = ["CachedTextCanvas"]

_SHAPES_TEXT = hasattr(FT2Font, "_layout") and hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")


@functools.lru_cache(maxsize=8192)
def _glyphs(font, size, dpi, text, flags, features, language):
    """(font, glyph index, x, y) of each glyph of `text`, as `font._layout` places them."""
    font.clear()
    font.set_size(size, dpi)
    return tuple((item.ft_object, item.glyph_index, item.x, item.y)
                 for item in font._layout(text, flags=flags, features=features, language=language))


class _Renderer(RendererAgg):
    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or not _SHAPES_TEXT:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        font = self._prepare_font(prop)
        size = prop.get_size_in_points()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        glyphs = _glyphs(font, size, self.dpi, s, get_hinting_flag(),
                         tuple(features) if features is not None else None, language)
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((ft, size, index, 0, 1, gx, gy) for ft, index, gx, gy in glyphs), [])


class CachedTextCanvas(FigureCanvasAgg):
    """FigureCanvasAgg whose renderer caches text layout (see the module docstring)."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _Renderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
