"""What a reader would find wrong with a figure: an artist outside the canvas, text too small,
or two texts on top of each other.

`figure_report(figure)` draws the figure and walks every artist that is drawn (visible, inside a
visible parent, not an axis of an Axes whose axis is switched off), measuring it in pixels. An
artist clipped to a box (most artists inside an Axes) can only show inside that box, so the box
is what must fit. The book embeds the report in every figure it publishes (see `NotebookFigure`),
and the tests check it there: nothing outside the canvas, no label below 8 points at display size.
"""
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from .text import MIN_FONT_PT, LabelCollection

__all__ = ["figure_report", "MIN_FONT_PT"]

TOLERANCE_PX = 1.0


def _drawn_children(artist):
    """The children of `artist` that a draw really paints (visible ones, minus a hidden axis)."""
    children = artist.get_children()
    if isinstance(artist, Axes):
        hidden = []
        if not artist.axison:
            hidden += [*artist.spines.values(), *artist._axis_map.values()]
        if not (artist.axison and artist.get_frame_on()):
            hidden.append(artist.patch)
        children = [c for c in children if all(c is not h for h in hidden)]
    return [c for c in children if c.get_visible()]


def _clip_box(artist):
    """The box an artist is clipped to (clip box and clip path intersected), or None."""
    if not artist.get_clip_on():
        return None
    boxes = []
    if artist.get_clip_box() is not None:
        boxes.append(artist.get_clip_box())
    path = artist.get_clip_path()
    if path is not None:
        boxes.append(path.get_fully_transformed_path().get_extents())
    if not boxes:
        return None
    box = boxes[0]
    for other in boxes[1:]:
        box = Bbox.intersection(box, other) or Bbox.null()
    return box


def _extent(artist, renderer):
    """The artist's extent in display pixels, or None when it has none or cannot say."""
    if isinstance(artist, Text) and not artist.get_text().strip():
        return None
    try:
        box = artist.get_tightbbox(renderer) if isinstance(artist, Axis) else artist.get_window_extent(renderer)
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        return None
    if box is None or not np.all(np.isfinite(box.get_points())) or (box.width == 0 and box.height == 0):
        return None
    return box


def _describe(artist):
    text = artist.get_text() if isinstance(artist, Text) else ""
    if isinstance(artist, LabelCollection):
        text = " / ".join(artist.strings)
    label = f" {text[:50]!r}" if text else ""
    axes = getattr(artist, "axes", None)
    where = ""
    if axes is not None and artist is not axes:
        title = axes.get_title() or axes.get_label()
        where = f" in axes {title[:30]!r}" if title else ""
    return f"{type(artist).__name__}{label}{where}"


def _font_sizes(artist):
    if isinstance(artist, LabelCollection) and artist.placeholder:
        return []  # draws nothing: it holds room in a layout
    if isinstance(artist, Text):
        return [artist.get_fontsize()] if artist.get_text().strip() else []
    if isinstance(artist, LabelCollection):
        return list(artist.fontsizes())
    return []


def figure_report(figure, draw=True):
    """Draw `figure` (draw=False: it was just drawn) and report what a reader would see wrong with it.

    Returns a dict: `width_in`, `height_in` (the figure's size), `min_font_pt` (the smallest
    text, in points at the figure's own size; None without text), `outside` (one description
    per drawn artist that reaches more than a pixel beyond the canvas) and `overlapping` (one
    description per pair of texts, titles and labels, whose boxes overlap by more than a pixel;
    the numbers inside grid cells and tick labels are left out). Both lists are empty when all is
    well.
    """
    if draw:
        figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    canvas = Bbox.from_bounds(0, 0, figure.bbox.width, figure.bbox.height).padded(TOLERANCE_PX)
    outside, fonts, texts = [], [], []
    stack = _drawn_children(figure)
    while stack:
        artist = stack.pop()
        if isinstance(artist, Axis):
            # an axis's ticks include spare ones outside the view: measure what it draws
            labels = [t for t in artist.get_ticklabels() if t.get_visible() and t.get_text().strip()]
            fonts += [t.get_fontsize() for t in labels[:1]]
            fonts += _font_sizes(artist.label)
        else:
            fonts += _font_sizes(artist)
            stack += _drawn_children(artist)
        box = _extent(artist, renderer)
        clip = _clip_box(artist)
        if clip is not None:
            box = clip if box is None else Bbox.intersection(box, clip)
        if box is None:
            continue
        if isinstance(artist, LabelCollection) and artist.placeholder:
            continue  # draws nothing (it holds room in a layout), so nothing can be wrong with it
        if isinstance(artist, Text) or (isinstance(artist, LabelCollection) and artist.get_in_layout()):
            texts.append((artist, box))
        if not (canvas.contains(box.x0, box.y0) and canvas.contains(box.x1, box.y1)):
            outside.append(f"{_describe(artist)} spans x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f}"
                           f" px on a {figure.bbox.width:.0f} x {figure.bbox.height:.0f} px canvas")
    return {
        "width_in": float(figure.get_figwidth()),
        "height_in": float(figure.get_figheight()),
        "min_font_pt": float(min(fonts)) if fonts else None,
        "outside": outside,
        "overlapping": _overlapping(texts),
    }


def _overlapping(texts):
    found = []
    for i, (first, a) in enumerate(texts):
        for second, b in texts[i + 1:]:
            overlap = Bbox.intersection(a, b)
            if overlap is not None and overlap.width > TOLERANCE_PX and overlap.height > TOLERANCE_PX:
                found.append(f"{_describe(first)} overlaps {_describe(second)}")
    return found
