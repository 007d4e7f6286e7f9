"""FarmHash Fingerprint64, SipHash-2-4 and TensorFlow's hashed crossing, against values that
TensorFlow 2.21 computed (`to_hash_bucket_fast` / `to_hash_bucket_strong` with 2**63 - 1 buckets):
every length branch of FarmHash (0-16, 17-32, 33-64, the 64-byte loop) and a UTF-8 string."""

import numpy as np

from torchkeras.layers.preprocessing.string_hashing import (
    cross_hashed,
    fingerprint64,
    hash_buckets,
    siphash64,
)

TEXT = "abcdefghijklmnopqrstuvwxyz0123456789" * 8
BUCKETS = 2**63 - 1
FAST = {0: 1936946117179621456, 1: 3694432073954588132, 3: 2640714258260161385, 4: 1897425971756105985,
        8: 9145071594317031690, 16: 6080716761534418621, 17: 2171023947900359593, 32: 934449955909727258,
        33: 8403347783973109260, 64: 3646545258579766308, 65: 3889391544646074892, 128: 2056131915184924913,
        129: 4687628222062474711, 200: 3225094344678046759}  # fmt: skip
STRONG = {0: 7017924607280352077, 1: 3279621250050176426, 3: 7637684774563024500, 4: 5484571581591539572,
          8: 7952730554070054616, 16: 9036384741240275544, 17: 2501588794755760950, 32: 618296264531704534,
          33: 4006565235580050920, 64: 1024765778893221396, 65: 7753540426365595712, 128: 6141650818972056678,
          129: 4538962586459896480, 200: 4091602601312092061}  # fmt: skip


def test_fingerprint64_matches_tensorflow_on_every_length_branch():
    for length, expected in FAST.items():
        assert fingerprint64(TEXT[:length].encode()) % BUCKETS == expected, length
    assert fingerprint64("héllo wörld".encode()) % BUCKETS == 9001971122424596627


def test_siphash_matches_tensorflow_strong_hash():
    for length, expected in STRONG.items():
        assert siphash64([133, 7], TEXT[:length].encode()) % BUCKETS == expected, length
    assert siphash64([133, 7], "héllo wörld".encode()) % BUCKETS == 2299045261919058263


def test_hash_buckets_hash_each_distinct_value_once_and_keep_shape():
    values = np.array([["a", "b"], ["a", "a"]], dtype=object)
    bins = hash_buckets(values, 3)
    assert bins.shape == (2, 2) and bins.dtype == np.int64
    assert bins[0, 0] == bins[1, 0] == bins[1, 1] == fingerprint64(b"a") % 3


def test_cross_hashed_matches_tensorflow():
    # tf.sparse.cross_hashed([strings, int64s], 0) and ([ints, strings, ints], 17)
    strings = np.array(["a", "b", "hello", "x" * 70], dtype=object)
    ints = np.array([1, 2, -3, 123456789])
    assert cross_hashed([strings, ints], 0).tolist() == [
        2928842892298887678, 85918459618309357, 210247054459064887, 2123588189949645435
    ]  # fmt: skip
    assert cross_hashed([ints, strings, ints], 17).tolist() == [12, 16, 11, 0]
