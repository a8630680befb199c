"""How `conv2d` and `corr2d` compute: three algorithms, and the cost model that picks conv2d's.

conv2d's two start from the zero-padded input split into its stride phases: phase (a, b) holds the
padded pixels (u*sh + a, v*sw + b). Every kernel tap (i, j) then reads one phase shifted by a
whole number of rows and columns, for any stride and dilation, so a strided convolution is a
sum of stride-1 shifts and nothing is computed at the positions the stride skips.

- **Shifted sums** (one input channel per output channel: a single channel, depthwise):
  out = sum over taps of K[i, j] * (the input shifted by the tap). Elementwise numpy on long
  rows, in cache-sized blocks; it copies nothing per tap, but makes two passes per tap on one core.
- **Runs** (everything else): im2col, where each (channel, tap) row of the column matrix is
  one contiguous run of the flattened phase (a shift by r rows and c columns is an offset of
  r*width + c), so gathering it is a handful of large copies; then one matrix product per group,
  `(C_out/g, C_in/g * taps) @ (C_in/g * taps, images * positions)`, done by BLAS.
  Each row of the flattened result runs past the output's right edge by (kernel span - 1) /
  stride columns, which are computed and dropped: cheap next to gathering short window rows.

- **Banded products** (`corr2d`, one image and one kernel): the valid correlation of a block of
  B output columns with one kernel row is a product with a banded (B + kw - 1, B) matrix
  holding that row on its diagonals (`corr2d_matrix`'s idea, block by block). Each kernel row is
  then one BLAS product over every block of the image: (kw + B - 1) / kw times the multiply-adds
  of the shifted sums, at BLAS speed on every core, against numpy's one core for elementwise
  work. The image is copied once (in overlapping column blocks), not once per tap.

Measured on the course machine, a sum over taps of `(C_out, C_in) @ (C_in, H*W)` products
(no im2col copy) lost to runs on every shape tried: numpy has no multiply-accumulate into an
existing output, so each tap adds a full pass over the output.
"""
import numpy as np

# Output columns per banded block: B = 16 measured fastest (8 to 64 tried, kernels of 3 and 5).
BAND = 16
# corr2d's banded products from this kernel width on. At width 3 they measured no faster than
# the shifted sums on one thread (1.0 ms each, 512x512), and the shifted sums round like torch
# (a BLAS product's other summation order left 1e-16 where torch has exactly 0, or the reverse,
# which a test comparing with rtol alone refuses); at width 5 they were 1.8x faster.
BANDED_FROM_WIDTH = 4
# Elements per block of a shifted sum (128 KB of float32): a block and its product stay in L2.
SHIFT_BLOCK = 32768
# Elements of the column matrix built at once (16 MB of float32): bounds memory on large
# inputs. Larger than the cache on purpose: each BLAS call is a barrier for its threads, and on
# a busy machine a barrier waits for a descheduled thread (measured: 1 channel 512x512 k5 took
# 32 ms in 7 chunks, 2 ms unchunked); single-threaded, 1-4 MB chunks were up to 1.4x faster.
RUNS_BUDGET = 1 << 22
# The cost model's constants, seconds per unit, rounded from single-threaded measurements on
# the course machine: an elementwise numpy pass, a copied element, a float operation of a
# skinny BLAS product, and the fixed cost of one numpy call. With them the model picks runs for
# every depthwise shape measured (1 to 32 channels, 28x28 to 512x512), as the measurements did;
# it picks shifted sums where the dropped overhang is much of each row (narrow outputs, wide
# dilated kernels), a prediction of the model, not a measurement.
PASS_S = 0.3e-9
COPY_S = 0.4e-9
FLOP_S = 0.05e-9
CALL_S = 2e-6


def phases(x4, pads, stride, dilation, kernel, out_hw, dtype):
    """Split the zero-padded x into stride phases; say where each tap reads.

    x4: (N, C, H, W). Returns q (N, C, sh*sw, hq + 1, wq) and, per tap (i, j) in reading order,
    (phase, row, col): output (oy, ox) of that tap reads q[:, :, phase, row + oy, col + ox].
    The extra zero row lets a run that starts in the last row overhang without a bounds check.
    """
    n, c, h, w = x4.shape
    (pt, _), (pl, _) = pads
    (sh, sw), (dh, dw), (kh, kw), (oh, ow) = stride, dilation, kernel, out_hw
    hq, wq = oh + dh * (kh - 1) // sh, ow + dw * (kw - 1) // sw
    q = np.zeros((n, c, sh, sw, hq + 1, wq), dtype=dtype)
    for a in range(sh):
        for b in range(sw):
            # phase row u is padded row u*sh + a, which is input row u*sh + a - pt
            u0, u1 = max(0, -(-(pt - a) // sh)), min(hq, (pt + h - 1 - a) // sh + 1)
            v0, v1 = max(0, -(-(pl - b) // sw)), min(wq, (pl + w - 1 - b) // sw + 1)
            if u1 > u0 and v1 > v0:
                rows = slice(u0 * sh + a - pt, (u1 - 1) * sh + a - pt + 1, sh)
                cols = slice(v0 * sw + b - pl, (v1 - 1) * sw + b - pl + 1, sw)
                q[:, :, a, b, u0:u1, v0:v1] = x4[:, :, rows, cols]
    taps = [((i * dh % sh) * sw + j * dw % sw, i * dh // sh, j * dw // sw) for i in range(kh) for j in range(kw)]
    return q.reshape(n, c, sh * sw, hq + 1, wq), taps


def shifted_sum(planes, taps, weights, out):
    """out = sum_t weights[t] * planes[phase_t, row_t : row_t + oh, col_t : col_t + ow], in place.

    planes: (P, Hq, Wq); out: (oh, ow). Blocks of rows that stay in the CPU cache, and in-place
    products, so that no image-sized temporary is allocated.
    """
    oh, ow = out.shape
    rows_per_block = max(1, SHIFT_BLOCK // max(ow, 1))
    product = np.empty((min(rows_per_block, oh), ow), dtype=out.dtype)
    for top in range(0, oh, rows_per_block):
        block = out[top : top + rows_per_block]
        scratch = product[: block.shape[0]]
        for t, ((phase, row, col), weight) in enumerate(zip(taps, weights)):
            source = planes[phase, top + row : top + row + block.shape[0], col : col + ow]
            if t == 0:
                np.multiply(source, weight, out=block)
            else:
                np.multiply(source, weight, out=scratch)
                block += scratch


def banded_corr2d(X, K, out):
    """out = valid cross-correlation of X (H, W) with K (kh, kw), by banded products per kernel row."""
    (h, w), (kh, kw), (oh, ow) = X.shape, K.shape, out.shape
    blocks, width = -(-ow // BAND), BAND + kw - 1
    padded = np.zeros((h, blocks * BAND + kw - 1), dtype=out.dtype)
    padded[:, :w] = X
    item = padded.itemsize
    # rows (r, b): padded[r, b*BAND : b*BAND + width], overlapping views copied into one matrix
    rows = np.lib.stride_tricks.as_strided(padded, (h, blocks, width), (padded.strides[0], BAND * item, item))
    rows = np.ascontiguousarray(rows).reshape(h * blocks, width)
    band = np.zeros((kh, width, BAND), dtype=out.dtype)  # band[i, o + j, o] = K[i, j]
    diagonal = np.arange(BAND)
    for j in range(kw):
        band[:, diagonal + j, diagonal] = K[:, j, None]
    total = rows[: oh * blocks] @ band[0]
    for i in range(1, kh):  # kernel row i reads the image i rows down: i * blocks rows of `rows`
        total += rows[i * blocks : i * blocks + oh * blocks] @ band[i]
    out[...] = total.reshape(oh, blocks * BAND)[:, :ow]


def conv_shifted(q, taps, weight, out):
    """Depthwise: output channel c reads input channel c only. q from `phases`; out (N, C, oh, ow)."""
    kernels = weight.reshape(weight.shape[0], -1)
    for n in range(out.shape[0]):
        for c in range(out.shape[1]):
            shifted_sum(q[n, c], taps, kernels[c], out[n, c])


def conv_runs(q, taps, weight, groups, out):
    """im2col of contiguous runs, one matrix product per group and chunk. out: (N, C_out, oh, ow)."""
    n, c_in, _, hq1, wq = q.shape
    c_out, c_per_group = weight.shape[:2]
    oh, ow = out.shape[2:]
    flat = q.reshape(n, c_in, -1, hq1 * wq)
    taps = [(phase, row * wq + col) for phase, row, col in taps]
    wmat = weight.reshape(groups, c_out // groups, -1)  # (g, C_out/g, C_in/g * taps), channel-major
    # Chunks of whole images, or of output rows when one image's columns exceed the budget.
    run_cost = c_in * len(taps) * wq
    rows = max(1, min(oh, RUNS_BUDGET // run_cost))
    images = max(1, RUNS_BUDGET // (run_cost * oh)) if rows == oh else 1
    buffer = np.empty(c_in * len(taps) * min(images, n) * rows * wq, dtype=out.dtype)
    for n0 in range(0, n, images):
        m = min(images, n - n0)
        for top in range(0, oh, rows):
            r = min(rows, oh - top)
            cols = buffer[: c_in * len(taps) * m * r * wq].reshape(c_in, len(taps), m, r * wq)
            start = top * wq
            for t, (phase, offset) in enumerate(taps):
                cols[:, t] = flat[n0 : n0 + m, :, phase, start + offset : start + offset + r * wq].transpose(1, 0, 2)
            y = np.matmul(wmat, cols.reshape(groups, -1, m * r * wq))  # (g, C_out/g, m * r * wq)
            out[n0 : n0 + m, :, top : top + r] = y.reshape(c_out, m, r, wq)[..., :ow].transpose(1, 0, 2, 3)


def choose(n, c_in, c_out, groups, taps, out_hw, wq):
    """'shifted' or 'runs', by estimated seconds (the constants above); shifted needs depthwise."""
    if not (groups == c_in == c_out):
        return "runs"
    oh, ow = out_hw
    planes, blocks = n * c_out, -(-oh // max(1, SHIFT_BLOCK // ow))
    shifted = planes * taps * (2 * oh * ow * PASS_S + 2 * blocks * CALL_S)
    runs = n * c_in * taps * oh * wq * (COPY_S + 2 * FLOP_S) + (taps + groups) * CALL_S
    return "shifted" if shifted < runs else "runs"
