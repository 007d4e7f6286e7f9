"""The string hashes Keras's `Hashing`, `HashedCrossing` and lookup layers use, in pure Python.

Keras computes them with TensorFlow ops: `to_hash_bucket_fast` (FarmHash's `Fingerprint64`),
`to_hash_bucket_strong` (SipHash-2-4 keyed by the salt) and `sparse.cross_hashed`
(`FingerprintCat64` of the features' fingerprints). These functions reproduce those values bit for
bit, so hashed features match a model prepared with Keras. Each distinct value is hashed once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = [
    "as_strings",
    "cross_hashed",
    "fingerprint64",
    "hash_buckets",
    "siphash64",
]

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_CAT_MUL = 0xC6A4A7935BD1E995
_CROSS_KEY = 0xDECAFCAFFE  # TensorFlow's default `hash_key` for `cross_hashed`


def _rotate(value: int, shift: int) -> int:
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _fetch64(data: bytes, start: int) -> int:
    return int.from_bytes(data[start : start + 8], "little")


def _fetch32(data: bytes, start: int) -> int:
    return int.from_bytes(data[start : start + 4], "little")


def _hash16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_0_to_16(data: bytes) -> int:
    length = len(data)
    if length >= 8:
        mul = _K2 + length * 2
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, length - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash16(c, d, mul)
    if length >= 4:
        mul = _K2 + length * 2
        return _hash16(length + (_fetch32(data, 0) << 3), _fetch32(data, length - 4), mul)
    if length > 0:
        y = (data[0] + (data[length >> 1] << 8)) & 0xFFFFFFFF
        z = (length + (data[length - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix((y * _K2 ^ z * _K0) & _MASK) * _K2) & _MASK
    return _K2


def _hash_17_to_32(data: bytes) -> int:
    length = len(data)
    mul = _K2 + length * 2
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    return _hash16(
        (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
        (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _hash_33_to_64(data: bytes) -> int:
    length = len(data)
    mul = _K2 + length * 2
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, length - 8) * mul) & _MASK
    d = (_fetch64(data, length - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, length - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, length - 24)) * mul) & _MASK
    return _hash16(
        (_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
        (e + _rotate((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_hash32(data: bytes, start: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = (_fetch64(data, start + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data: bytes) -> int:
    """FarmHash's `Fingerprint64` (its `farmhashna::Hash64`) of `data`, as an unsigned int."""
    length = len(data)
    if length <= 16:
        return _hash_0_to_16(data)
    if length <= 32:
        return _hash_17_to_32(data)
    if length <= 64:
        return _hash_33_to_64(data)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((length - 1) // 64) * 64
    last64 = end + ((length - 1) & 63) - 63
    start = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(data, start + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotate((y + v[1] + _fetch64(data, start + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, start + 40)) & _MASK
        z = (_rotate((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak_hash32(data, start, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak_hash32(data, start + 32, (z + w[1]) & _MASK, (y + _fetch64(data, start + 16)) & _MASK)
        z, x = x, z
        start += 64
        if start == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    start = last64
    w = ((w[0] + ((length - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(data, start + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(data, start + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(data, start + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash32(data, start, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash32(data, start + 32, (z + w[1]) & _MASK, (y + _fetch64(data, start + 16)) & _MASK)
    z, x = x, z
    return _hash16(
        (_hash16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash16(v[1], w[1], mul) + x) & _MASK,
        mul,
    )


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK
    v1 = _rotate(v1, 64 - 13) ^ v0
    v0 = _rotate(v0, 32)
    v2 = (v2 + v3) & _MASK
    v3 = _rotate(v3, 64 - 16) ^ v2
    v0 = (v0 + v3) & _MASK
    v3 = _rotate(v3, 64 - 21) ^ v0
    v2 = (v2 + v1) & _MASK
    v1 = _rotate(v1, 64 - 17) ^ v2
    v2 = _rotate(v2, 32)
    return v0, v1, v2, v3


def siphash64(key: Sequence[int], data: bytes) -> int:
    """SipHash-2-4 of `data` under the 128-bit key `(key[0], key[1])`, as an unsigned int."""
    k0, k1 = (int(k) & _MASK for k in key)
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    whole = len(data) - len(data) % 8
    blocks = [_fetch64(data, i) for i in range(0, whole, 8)]
    blocks.append(((len(data) & 0xFF) << 56) | int.from_bytes(data[whole:], "little"))
    for block in blocks:
        v3 ^= block
        for _ in range(2):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= block
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def _fingerprint_cat64(first: int, second: int) -> int:
    result = first ^ _CAT_MUL
    result ^= (_shift_mix((second * _CAT_MUL) & _MASK) * _CAT_MUL) & _MASK
    result = (result * _CAT_MUL) & _MASK
    result = (_shift_mix(result) * _CAT_MUL) & _MASK
    return _shift_mix(result)


def as_strings(values: np.ndarray) -> np.ndarray:
    """TensorFlow's `as_string` for Keras's hashing: integers (and floats, truncated to integers
    first) as decimal text; text unchanged. Returns an object array of `str`/`bytes`."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values.astype(np.int64)
    if values.dtype.kind in "iub":
        return np.array([str(int(v)) for v in values.reshape(-1)], dtype=object).reshape(values.shape)
    return values.astype(object)


def _to_bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _per_distinct(values: np.ndarray, fn: Callable[[object], int]) -> np.ndarray:
    """`fn` of every element as uint64, computed once per distinct value."""
    flat = values.reshape(-1)
    cache: dict = {}
    out = np.empty(flat.shape, dtype=np.uint64)
    for index, value in enumerate(flat):
        hashed = cache.get(value)
        if hashed is None:
            hashed = cache[value] = fn(value)
        out[index] = hashed
    return out.reshape(values.shape)


def hash_buckets(values: np.ndarray, num_buckets: int, salt: Sequence[int] | None = None) -> np.ndarray:
    """`to_hash_bucket_fast` (no salt) or `to_hash_bucket_strong` (salt) of text `values`: each
    value's 64-bit hash modulo `num_buckets`, as int64."""
    if salt is None:
        hashes = _per_distinct(values, lambda v: fingerprint64(_to_bytes(v)))
    else:
        hashes = _per_distinct(values, lambda v: siphash64(salt, _to_bytes(v)))
    return (hashes % np.uint64(num_buckets)).astype(np.int64)


def cross_hashed(columns: Sequence[np.ndarray], num_buckets: int) -> np.ndarray:
    """TensorFlow's `sparse.cross_hashed` of equally shaped 1-D columns (one value per row):
    integer features enter as their value, text as its fingerprint; the row's hash is folded with
    `FingerprintCat64` from TensorFlow's default key, then taken modulo `num_buckets` (or
    `2**63 - 1` when `num_buckets` is 0), as int64."""
    feature_hashes = []
    for column in columns:
        column = np.asarray(column)
        if column.dtype.kind in "iub":
            feature_hashes.append(column.astype(np.int64).view(np.uint64))
        else:
            feature_hashes.append(_per_distinct(column.astype(object), lambda v: fingerprint64(_to_bytes(v))))
    modulus = num_buckets if num_buckets > 0 else (1 << 63) - 1
    rows = []
    for row in zip(*(h.tolist() for h in feature_hashes)):
        hashed = _CROSS_KEY
        for feature in row:
            hashed = _fingerprint_cat64(hashed, int(feature))
        rows.append(hashed % modulus)
    return np.array(rows, dtype=np.uint64).astype(np.int64)
