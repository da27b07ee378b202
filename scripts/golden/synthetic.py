"""modelfuse's seeded generator in Python, and the synthetic predictions
built from it, shared by `selection_golden.py` and `verdict_golden.py`.

`Rng` re-implements `crates/modelfuse/src/learn/rng.rs` bit for bit
(SplitMix64, Lemire's `below` with rejection, `shuffle`, `fork`), so the
golden scripts draw the same bootstrap resamples and bag subsets as the Rust
code. The generators below use nothing but IEEE additions, multiplications
and divisions on numbers drawn from `Rng`, in a fixed order, so the Rust
tests (`crates/modelfuse/tests/synthetic/mod.rs`) rebuild exactly the same
float32 predictions and the golden files need not store them; the JSON keeps
a checksum to prove it.
"""

import struct

import numpy as np

MASK = (1 << 64) - 1

# The extra mass a synthetic model puts on the class it believes in.
BOOST = 2.0


class Rng:
    """SplitMix64, exactly as `modelfuse::learn::rng::Rng`."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def next_f64(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def below(self, n):
        """Lemire's multiply-shift with rejection: uniform in range(n)."""
        assert n > 0
        threshold = ((1 << 64) - n) % n  # n.wrapping_neg() % n
        while True:
            m = self.next_u64() * n
            if (m & MASK) >= threshold:
                return m >> 64

    def shuffle(self, items):
        """Fisher-Yates from the back, in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def fork(self, stream):
        r = Rng(self.state ^ ((stream * 0xD1B54A32D192ED03) & MASK))
        r.next_u64()
        return r


def classification(seed, n, k, skills, copies=()):
    """Class probabilities of `len(skills)` models on `n` samples.

    The truth is `below(k)` per sample. For each model (skill `s` percent)
    and sample, in order: `k` uniforms `u`; the model knows the sample when
    another uniform is below `s / 100`, and then believes the true class,
    otherwise a class drawn with `below(k)`; its row is
    `(u_j + BOOST·[j = believed]) / (Σu + BOOST)`, rounded to float32.
    `copies` lists `(model, source)` pairs: `model`'s rows are replaced by
    `source`'s (exact duplicates, to exercise tie-breaking).

    Returns (P as float64 holding float32 values, shape models × n × k; y).
    """
    rng = Rng(seed)
    y = [rng.below(k) for _ in range(n)]
    P = np.empty((len(skills), n, k), dtype=np.float32)
    for m, skill in enumerate(skills):
        q = skill / 100
        for i in range(n):
            u = [rng.next_f64() for _ in range(k)]
            believed = y[i] if rng.next_f64() < q else rng.below(k)
            s = 0.0
            for x in u:
                s += x
            s += BOOST
            for j in range(k):
                P[m, i, j] = (u[j] + (BOOST if j == believed else 0.0)) / s
    for m, source in copies:
        P[m] = P[source]
    return P.astype(np.float64), np.array(y)


def regression(seed, n, noise, bias):
    """Values of `len(noise)` models on `n` samples.

    The truth is `10·u` per sample; model `m` predicts, per sample in order,
    `(y + bias[m]/10) + (noise[m]/10)·(u − 0.5)`, rounded to float32.

    Returns (V as float64 holding float32 values, shape models × n × 1; y).
    """
    rng = Rng(seed)
    y = [10.0 * rng.next_f64() for _ in range(n)]
    V = np.empty((len(noise), n, 1), dtype=np.float32)
    for m in range(len(noise)):
        sigma = noise[m] / 10
        shift = bias[m] / 10
        for i in range(n):
            V[m, i, 0] = (y[i] + shift) + sigma * (rng.next_f64() - 0.5)
    return V.astype(np.float64), np.array(y)


def checksum(P):
    """Σ value · (index mod 7 + 1) over the flattened block, summed in order
    (a plain loop, not NumPy's pairwise sum), so Rust can recompute it
    exactly."""
    total = 0.0
    for idx, x in enumerate(P.ravel().tolist()):
        total += x * (idx % 7 + 1)
    return total


def float_bits(x):
    """The IEEE bits of a float64 as an integer: JSON readers may round a
    17-digit decimal by an ulp, integers they read exactly."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32(a):
    """Round to float32, as a `Predictions` block stores values."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)
