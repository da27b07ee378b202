#!/usr/bin/env python3
"""Measure what each model of the BANKING77 zoo costs per query at inference, for cascades.

Writes costs.json in modelfuse's cost-file format (`modelfuse cascade fit --costs`):
milliseconds per query on one CPU thread, per model, plus the shared feature extractors
("components") that several models need and a cascade pays for once per query.

How each number is obtained (best of 5 timed runs over the 3,080 test queries, one thread):
* the classical models are rebuilt exactly as make_predictions.py builds them (its own
  `zoo()` and `text_features()`), trained on data/train.csv, and their `predict_proba` on the
  test features is timed; their feature extractors (`transform` of the fitted vectorisers on
  the raw test texts) are the components `word_tfidf`, `char_tfidf` and `word_counts`;
* the MiniLM heads' `predict_proba` is timed on unit vectors of the encoder's shape
  (3,080 × 384), after training each head as make_predictions.py does but on random unit
  vectors with the real labels: a head's inference cost depends on its shape (384 → 77,
  384 → 512 → 77, brute-force cosine k-NN over 10,003 rows), not on the values;
* the MiniLM encoder itself (component `minilm`) is not re-run here (it needs the candle
  binary, ~11 minutes to build): its cost is the throughput recorded by make_predictions.py
  on this machine, 13,083 sentences in 204 s on 2 cores (README.md), i.e. 15.6 ms per query.

Run from the repository root with numpy/scikit-learn 1.9.1/pandas (scripts/golden's venv):
    python examples/banking77/measure_costs.py
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_predictions as mp  # noqa: E402

ENCODER_MS = 204.0 / 13_083 * 1000.0
REPEATS = 5


def best_ms_per_query(fn, n):
    best = float("inf")
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best / n * 1000.0


def main():
    import numpy as np
    import pandas as pd
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    classes = json.loads((mp.SOURCE / "categories.json").read_text())
    index = {c: i for i, c in enumerate(classes)}
    train = pd.read_csv(mp.SOURCE / "train.csv", keep_default_na=False)
    test = pd.read_csv(mp.SOURCE / "test.csv", keep_default_na=False)
    y_train = train["category"].map(index).to_numpy()
    texts_train, texts_test = train["text"].tolist(), test["text"].tolist()
    n = len(test)

    # The same vectorisers as mp.text_features, kept so their transform can be timed.
    vectorisers = {
        "word_tfidf": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        "char_tfidf": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                      min_df=2),
        "word_counts": CountVectorizer(ngram_range=(1, 2)),
    }
    features, components = {}, {"minilm": round(ENCODER_MS, 4)}
    reference = mp.text_features(texts_train, texts_test)
    for name, v in vectorisers.items():
        x_train = v.fit_transform(texts_train)
        x_test = v.transform(texts_test)
        assert (x_test != reference[name][1]).nnz == 0, name
        features[name] = (x_train, x_test)
        components[name] = round(best_ms_per_query(lambda: v.transform(texts_test), n), 4)
    rng = np.random.default_rng(0)

    def unit(rows):
        x = rng.standard_normal((rows, 384)).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    features["minilm"] = (unit(len(train)), unit(n))

    models, needs = {}, {}
    for name, _, feat, fraction, seed, make in mp.zoo():
        x_train, x_test = features[feat]
        rows = mp.subset(y_train, fraction, seed)
        model = make()
        model.fit(x_train[rows], y_train[rows])
        models[name] = round(best_ms_per_query(lambda: model.predict_proba(x_test), n), 4)
        needs[name] = [feat]
        print(f"{name:24s} {models[name]:8.4f} ms/query (+ {feat} {components[feat]:.4f})",
              flush=True)
    out = {
        "unit": "ms per query: classical models and heads on one CPU thread, the MiniLM encoder "
                "at its recorded 2-core throughput (see measure_costs.py)",
        "models": models,
        "components": components,
        "needs": needs,
    }
    (HERE / "costs.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {HERE / 'costs.json'}")


if __name__ == "__main__":
    main()
