"""Bad input gets a ValueError/TypeError naming the argument and the shapes, never a numpy traceback."""
import re

import numpy as np
import pytest

import convlab

x4 = np.zeros((2, 3, 8, 8))
w = np.zeros((4, 3, 3, 3))


def raises(exc, *fragments):
    """pytest.raises that also requires every fragment in the message (regex-escaped)."""
    return pytest.raises(exc, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


@pytest.mark.parametrize(
    "call, exc, fragments",
    [
        (lambda: convlab.conv2d(np.zeros((8, 8)), w), ValueError, ["input", "(8, 8)", "(N, C, H, W)"]),
        (lambda: convlab.conv2d(x4, np.zeros((3, 3))), ValueError, ["weight", "(3, 3)"]),
        (lambda: convlab.corr2d(np.zeros((2, 4, 4)), np.zeros((2, 2))), ValueError, ["X", "(2, 4, 4)"]),
        (lambda: convlab.corr2d(np.zeros((4, 4)), np.zeros(2)), ValueError, ["K", "(2,)"]),
        (lambda: convlab.conv2d(np.zeros((2, 5, 8, 8)), w), ValueError, ["5 channels", "(2, 5, 8, 8)", "(4, 3, 3, 3)"]),
        (lambda: convlab.conv2d(x4, w, padding=-1), ValueError, ["padding", "at least 0"]),
        (lambda: convlab.conv2d(x4, w, stride=0), ValueError, ["stride", "at least 1"]),
        (lambda: convlab.conv2d(x4, w, dilation=(1, 0)), ValueError, ["dilation", "at least 1"]),
        (lambda: convlab.conv2d(x4, w, padding="full"), ValueError, ["padding", "'full'", "'same'"]),
        (lambda: convlab.conv2d(x4, w, padding="same", stride=2), ValueError, ["padding='same'", "stride"]),
        (lambda: convlab.conv2d(x4, np.zeros((4, 1, 3, 3)), groups=2), ValueError, ["groups=2", "in_channels (3"]),
        (lambda: convlab.conv2d(np.zeros((2, 4, 8, 8)), np.zeros((3, 2, 3, 3)), groups=2), ValueError, ["groups=2", "out_channels (3"]),
        (lambda: convlab.conv2d(x4, w, bias=np.zeros(3)), ValueError, ["bias", "(4,)", "(3,)"]),
        (lambda: convlab.conv2d(x4, np.zeros((4, 3, 9, 3))), ValueError, ["kernel size 9", "padded input H", "8"]),
        (lambda: convlab.conv2d(x4, w, dilation=5), ValueError, ["dilation 5", "spans 11"]),
        (lambda: convlab.conv2d(x4, np.zeros((4, 3, 0, 3))), ValueError, ["zero kernel size", "(4, 3, 0, 3)"]),
        (lambda: convlab.conv2d(np.array([["a"]]), w), TypeError, ["input", "dtype"]),
        (lambda: convlab.conv2d(x4.astype(bool), w), TypeError, ["input", "bool"]),
        (lambda: convlab.conv2d(x4, w.astype(complex)), TypeError, ["weight", "complex"]),
        (lambda: convlab.corr2d([[1, 2], [3]], [[1]]), TypeError, ["X", "numeric"]),
        (lambda: convlab.corr2d(np.zeros((2, 2)), np.zeros((3, 1))), ValueError, ["(3, 1)", "larger", "(2, 2)"]),
        (lambda: convlab.corr2d_loops(np.zeros((2, 2)), np.zeros((1, 3))), ValueError, ["(1, 3)", "larger"]),
        (lambda: convlab.max_pool2d(x4, 3, padding=2), ValueError, ["padding 2", "half the kernel size 3"]),
        (lambda: convlab.avg_pool2d(x4, (2, 4), padding=(0, 3)), ValueError, ["padding 3", "kernel size 4"]),
        (lambda: convlab.max_pool2d(x4, 0), ValueError, ["kernel_size", "at least 1"]),
        (lambda: convlab.max_pool2d(x4, 9), ValueError, ["kernel size 9", "padded input"]),
        (lambda: convlab.avg_pool2d(np.zeros((8, 8)), 2), ValueError, ["input", "(8, 8)"]),
        (lambda: convlab.max_pool2d(x4, 2, stride=0), ValueError, ["stride", "at least 1"]),
        (lambda: convlab.output_size(4, 7), ValueError, ["kernel_size 7", "padded input"]),
        (lambda: convlab.output_size(4, 0), ValueError, ["kernel_size", "at least 1"]),
        (lambda: convlab.output_size(4, 3, stride=0), ValueError, ["stride", "at least 1"]),
        (lambda: convlab.output_size(4, 3, padding=-1), ValueError, ["padding", "at least 0"]),
        (lambda: convlab.receptive_field([(3, 1, 1), (3, 0, 1)]), ValueError, ["layers[1] stride", "at least 1"]),
        (lambda: convlab.receptive_field([(3, 1)]), ValueError, ["layers[0]", "(kernel_size, stride, padding)"]),
        (lambda: convlab.conv2d(x4, w, stride=1.5), TypeError, ["stride", "int"]),
        (lambda: convlab.kernel("blur"), ValueError, ["blur", "box_blur"]),
        (lambda: convlab.learn_kernel(np.zeros((6, 8)), np.zeros((6, 8)), (1, 2)), ValueError, ["Y", "(6, 7)", "(6, 8)"]),
        (lambda: convlab.corr2d_matrix((2, 2), np.zeros((3, 3))), ValueError, ["(3, 3)", "(2, 2)"]),
    ],
)
def test_bad_input_message(call, exc, fragments):
    with raises(exc, *fragments):
        call()


def test_channels_last_input_is_diagnosed():
    """An NHWC batch whose last axis equals C_in gets told to permute."""
    nhwc = np.zeros((2, 32, 32, 3))
    with raises(ValueError, "channels-last", "permute(0, 3, 1, 2)", "(2, 32, 32, 3)", "(8, 3, 3, 3)"):
        convlab.conv2d(nhwc, np.zeros((8, 3, 3, 3)))


def test_unbatched_channels_last_input_is_diagnosed():
    with raises(ValueError, "channels-last (H, W, C)", "transpose(2, 0, 1)", "(32, 32, 3)", "read as (C, H, W)"):
        convlab.conv2d(np.zeros((32, 32, 3)), np.zeros((8, 3, 3, 3)))


def test_channel_mismatch_without_channels_last_gets_no_permute_hint():
    with pytest.raises(ValueError) as info:
        convlab.conv2d(np.zeros((2, 5, 8, 8)), w)
    assert "channels-last" not in str(info.value)
