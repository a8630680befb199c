"""Sample images: the documents' small labs, synthetic patterns, and one real photograph.

Every function returns a new float64 array, so callers may modify what they get.
"""
import numpy as np

__all__ = [
    "manual_lab_image",
    "manual_lab_kernel",
    "corr_example_input",
    "corr_example_kernel",
    "edge_lab_image",
    "edge_lab_kernel",
    "stripes_image",
    "step_edge",
    "diagonal_edge",
    "checkerboard",
    "photograph",
    "photograph_rgb",
]


def manual_lab_image():
    """The 4x4 image of the manual convolution lab."""
    return np.array([[1, 2, 0, 0], [5, 3, 0, 4], [2, 1, 3, 1], [0, 2, 1, 2]], dtype=np.float64)


def manual_lab_kernel():
    """The 2x2 kernel of the manual convolution lab: +1 top-left, -1 bottom-right."""
    return np.array([[1, 0], [0, -1]], dtype=np.float64)


def corr_example_input():
    """The 3x3 input 0..8 of the classic cross-correlation example."""
    return np.arange(9, dtype=np.float64).reshape(3, 3)


def corr_example_kernel():
    """The 2x2 kernel 0..3 of the classic cross-correlation example."""
    return np.arange(4, dtype=np.float64).reshape(2, 2)


def edge_lab_image():
    """The 5x5 edge lab: a 3x3 block of ones whose left edge sits between columns 1 and 2."""
    image = np.zeros((5, 5))
    image[1:4, 2:] = 1
    return image


def edge_lab_kernel():
    """The edge lab's horizontal difference kernel [-1, 1]."""
    return np.array([[-1, 1]], dtype=np.float64)


def stripes_image():
    """The 6x8 image with ones at both sides and a dark band of four columns in the middle."""
    image = np.ones((6, 8))
    image[:, 2:6] = 0
    return image


def step_edge(shape=(8, 8), column=None, low=0.0, high=1.0):
    """A vertical step: `low` left of `column` (default: the middle), `high` from it on."""
    h, w = shape
    column = w // 2 if column is None else column
    image = np.full((h, w), float(low))
    image[:, column:] = high
    return image


def diagonal_edge(n=8):
    """An n x n image that is 1 on and below the main diagonal, 0 above it."""
    return np.tril(np.ones((n, n)))


def checkerboard(n=8, square=2):
    """An n x n checkerboard of `square` x `square` tiles."""
    idx = np.arange(n) // square
    return ((idx[:, None] + idx[None, :]) % 2).astype(np.float64)


def _sample_photo():
    # Grace Hopper's portrait ships inside matplotlib (mpl-data/sample_data): no download needed.
    # matplotlib is imported here only, so `import convlab` stays numpy-only.
    from matplotlib import cbook
    import matplotlib.image as mpimg

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return np.asarray(mpimg.imread(f, format="jpg"), dtype=np.float64) / 255.0


def photograph_rgb(size=None):
    """A real photograph (Grace Hopper, from matplotlib's sample data) as (H, W, 3) floats in [0, 1].

    size: crop a centred size x size square, or None for the full image.
    """
    image = _sample_photo()
    if size is not None:
        h, w = image.shape[:2]
        if not (isinstance(size, int) and 1 <= size <= min(h, w)):
            raise ValueError(f"size must be an int between 1 and {min(h, w)} (the photo is {h}x{w}), got {size!r}")
        top, left = (h - size) // 2, (w - size) // 2
        image = image[top : top + size, left : left + size]
    return np.ascontiguousarray(image)


LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601: grayscale = R, G, B weighted by these


def photograph(size=None):
    """The same photograph in grayscale (H, W), luminance weights of ITU-R BT.601 (LUMA_WEIGHTS)."""
    rgb = photograph_rgb(size)
    return rgb @ np.array(LUMA_WEIGHTS)
