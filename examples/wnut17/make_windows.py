"""Real windowed tagger outputs for WNUT-17: three classical taggers run on
sliding windows of the test sentences.

Trains three token taggers (scikit-learn logistic regression over standard
word features, each with different features and regularisation) on the
WNUT-17 training set, then runs each one over the test set (`gold.conll`
beside this script) three ways and writes the per-word tag probabilities:

* `taggers/whole/<tagger>.jsonl.gz`: on whole sentences (one line per
  sentence, modelfuse's probability format);
* `taggers/strided/<tagger>.jsonl.gz`: on sliding windows of WINDOW words
  with stride STRIDE (half the window), the tagger seeing only the window's
  words (one line per window, modelfuse's window format);
* `taggers/chunked/<tagger>.jsonl.gz`: on non-overlapping windows of WINDOW
  words (stride = WINDOW), the no-overlap baseline.

Window features stop at the window's edges (a word at a window's first
position gets the "beginning of sentence" feature), exactly as a model that
sees only the window would. Deterministic: fixed seeds, sorted features,
probabilities rounded to 4 decimals, gzip with mtime 0.

Usage (from the repository root):

    /work/venv/bin/python examples/wnut17/make_windows.py \
        --train examples/wnut17/data/original/wnut17train.conll

Pinned versions: see PINNED below (checked at start).
"""

import argparse
import gzip
import io
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

PINNED = {"numpy": "2.4.6", "scikit-learn": "1.9.1"}
WINDOW = 8
STRIDE = 4
HERE = os.path.dirname(os.path.abspath(__file__))


def read_conll(path):
    sents, words, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                if words:
                    sents.append((words, tags))
                    words, tags = [], []
                continue
            parts = line.split()
            words.append(parts[0])
            tags.append(parts[-1])
    if words:
        sents.append((words, tags))
    return sents


def shape(w):
    out = []
    for c in w:
        k = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)[:6]


def word_feats(w, prefix, affixes):
    f = {
        prefix + "lower=" + w.lower(): 1,
        prefix + "shape=" + shape(w): 1,
    }
    if affixes:
        for k in range(1, affixes + 1):
            f[prefix + "pre%d=%s" % (k, w[:k].lower())] = 1
            f[prefix + "suf%d=%s" % (k, w[-k:].lower())] = 1
        f[prefix + "title"] = int(w.istitle())
        f[prefix + "upper"] = int(w.isupper())
        f[prefix + "digit"] = int(any(c.isdigit() for c in w))
        f[prefix + "at"] = int(w.startswith("@"))
        f[prefix + "hash"] = int(w.startswith("#"))
        f[prefix + "url"] = int(w.lower().startswith(("http", "www")))
    return f


def features(words, i, spec):
    """Features of word i seeing only `words` (a sentence or a window)."""
    f = {"bias": 1}
    f.update(word_feats(words[i], "", spec["affixes"]))
    for d in range(1, spec["context"] + 1):
        for j, side in ((i - d, "-%d:" % d), (i + d, "+%d:" % d)):
            if 0 <= j < len(words):
                if spec["context_words"]:
                    f[side + "lower=" + words[j].lower()] = 1
                f[side + "shape=" + shape(words[j])] = 1
            else:
                f[side + "edge"] = 1
    return f


# Three different taggers: features, regularisation, the weight of the `O`
# class and the seed differ. `O` is nine tokens in ten; weighting it down
# (every entity tag weighs 1) trades precision for recall, and without it
# these taggers find almost no entities (entity F1 12 rather than 18 for
# lr_wide on whole test sentences).
TAGGERS = {
    "lr_wide": {"context": 2, "context_words": True, "affixes": 3, "C": 1.0, "o_weight": 0.1, "seed": 0},
    "lr_narrow": {"context": 1, "context_words": True, "affixes": 2, "C": 0.3, "o_weight": 0.2, "seed": 1},
    "lr_shape": {"context": 2, "context_words": False, "affixes": 4, "C": 3.0, "o_weight": 0.15, "seed": 2},
}


def train(sents, spec):
    X = [features(ws, i, spec) for ws, _ in sents for i in range(len(ws))]
    y = [t for _, ts in sents for t in ts]
    vec = DictVectorizer(sort=True)
    Xm = vec.fit_transform(X)
    weights = {t: (spec["o_weight"] if t == "O" else 1.0) for t in sorted(set(y))}
    clf = LogisticRegression(
        C=spec["C"], max_iter=300, class_weight=weights, random_state=spec["seed"]
    )
    clf.fit(Xm, y)
    return vec, clf


def predict(vec, clf, spec, words):
    Xm = vec.transform([features(words, i, spec) for i in range(len(words))])
    return clf.predict_proba(Xm)


def offsets(words):
    """Character offsets of the words in the words joined by single spaces."""
    out, pos = [], 0
    for w in words:
        out.append([pos, pos + len(w)])
        pos += len(w) + 1
    return out


def rows(p):
    return [[round(float(v), 4) for v in r] for r in p]


def windows(n, size, stride):
    """Starts of windows of `size` words every `stride` words until the end is covered."""
    starts = [0]
    while starts[-1] + size < n:
        starts.append(starts[-1] + stride)
    return starts


def write_gz(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as g:
        g.write("".join(lines).encode("utf-8"))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", default=os.path.join(HERE, "data", "original", "wnut17train.conll"))
    ap.add_argument("--gold", default=os.path.join(HERE, "data", "gold.conll"))
    ap.add_argument("--out", default=os.path.join(HERE, "taggers"))
    args = ap.parse_args()
    for name, mod in (("numpy", np), ("scikit-learn", sklearn)):
        if mod.__version__ != PINNED[name]:
            print("warning: %s %s, pinned %s" % (name, mod.__version__, PINNED[name]), file=sys.stderr)
    train_sents = read_conll(args.train)
    test = read_conll(args.gold)
    print("train: %d sentences; test: %d sentences" % (len(train_sents), len(test)), file=sys.stderr)
    for name, spec in TAGGERS.items():
        vec, clf = train(train_sents, spec)
        tags = [str(c) for c in clf.classes_]
        whole, strided, chunked = [], [], []
        for si, (ws, _) in enumerate(test):
            p = predict(vec, clf, spec, ws)
            whole.append(json.dumps({"offsets": offsets(ws), "tags": tags, "probs": rows(p)}) + "\n")
            for out, stride in ((strided, STRIDE), (chunked, WINDOW)):
                for s in windows(len(ws), WINDOW, stride):
                    win = ws[s : s + WINDOW]
                    q = predict(vec, clf, spec, win)
                    out.append(
                        json.dumps(
                            {
                                "sentence": si,
                                "start": s,
                                "words": win,
                                "offsets": offsets(win),
                                "tags": tags,
                                "probs": rows(q),
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
        for kind, lines in (("whole", whole), ("strided", strided), ("chunked", chunked)):
            write_gz(os.path.join(args.out, kind, name + ".jsonl.gz"), lines)
        print("%s: %d features, %d windows (strided), %d (chunked)" % (name, len(vec.vocabulary_), len(strided), len(chunked)), file=sys.stderr)


if __name__ == "__main__":
    main()
