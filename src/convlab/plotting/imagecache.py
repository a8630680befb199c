"""Images that keep their resampled pixels from one draw to the next while nothing about them changed.

Agg resamples and colour-maps every image on every draw: 10 to 20 ms for a 512x512 photograph
shown at 200 pixels (antialiased), although an explorer's input image never changes while the
learner moves its sliders. An image made cacheable here remembers its last pixels with what they
depend on: its own version (bumped whenever matplotlib marks it stale: new data, limits, colour
map, extent, visibility, ...), the renderer, and where it lands on the canvas (its corners and
clip box in pixels, which follow the layout and the axes limits).
"""
import numpy as np
from matplotlib.image import AxesImage

__all__ = ["cache_pixels"]


class _CachedAxesImage(AxesImage):
    _version = 0
    _cached = None  # (key, make_image's result)

    @property
    def stale(self):
        return self._stale

    @stale.setter
    def stale(self, value):
        if value:  # every setter of the artist passes here
            self._version += 1
        AxesImage.stale.fset(self, value)

    def _key(self, renderer, magnification, unsampled):
        x1, x2, y1, y2 = self.get_extent()
        corners = self.get_transform().transform(np.array([[x1, y1], [x2, y2]], dtype=float))
        clip = (self.get_clip_box() or self.axes.bbox) if self.get_clip_on() else self.get_figure(root=True).bbox
        return (self._version, id(renderer), renderer.width, renderer.height, magnification, unsampled,
                corners.tobytes(), tuple(clip.bounds))

    def make_image(self, renderer, magnification=1.0, unsampled=False):
        key = self._key(renderer, magnification, unsampled)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        result = super().make_image(renderer, magnification, unsampled)
        # the key after the call: resampling may autoscale the norm (a new version) before it draws
        self._cached = (self._key(renderer, magnification, unsampled), result)
        return result


def cache_pixels(image):
    """Make the AxesImage `image` (from `ax.imshow`) keep its pixels between draws; returns it."""
    if type(image) is AxesImage:
        image.__class__ = _CachedAxesImage  # the same artist, with a memory (imshow cannot make a subclass)
    return image
