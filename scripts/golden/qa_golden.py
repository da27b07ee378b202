#!/usr/bin/env python3
"""Golden values for modelfuse-nlp's SQuAD metrics, from the official evaluation scripts.

The official scripts are not on PyPI by themselves; the `nlp` 0.4.0 wheel (Hugging Face's
predecessor of `datasets`) ships both unchanged as `nlp/metrics/squad/<hash>/evaluate.py`
("Official evaluation script for v1.1 of the SQuAD dataset") and
`nlp/metrics/squad_v2/<hash>/evaluate.py` ("Official evaluation script for SQuAD version
2.0"). This script downloads that wheel from PyPI (no dependencies), loads the two files
from it and calls their own functions; nothing of them is copied into the repository.

Cases, all on the project's files (`examples/squad11/`):
* `v1`: every system's predictions on SQuAD v1.1 dev, scored by the v1.1 script's
  `evaluate`; and the same with the first 1,000 predictions of each system removed
  (missing predictions score 0).
* `v2`: a SQuAD 2.0-style variant made from the same files, scored by the v2.0 script's
  functions exactly as its `main()` chains them (no na_prob file): every 7th question
  (0-based index % 7 == 3) loses its gold answers, every 5th prediction (index % 5 == 1,
  over the dataset's questions in file order) becomes "" (no answer). The Rust test
  rebuilds the variant with the same rule.
* `pairs`: exact match and F1 of both scripts on hand-picked prediction/gold pairs that
  stress the normalisation (punctuation, articles, Unicode, odd whitespace).

Run from the repository root with the golden venv (see README.md):
    scripts/.venv/bin/python scripts/golden/qa_golden.py
Writes crates/modelfuse-nlp/tests/golden/qa.json.
"""

import contextlib
import gzip
import io
import importlib.util
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Laid out by `examples/get-data.sh squad11` (SQuAD is not committed).
EXAMPLE = ROOT / "examples" / "squad11" / "data"
OUT = ROOT / "crates" / "modelfuse-nlp" / "tests" / "golden" / "qa.json"
WHEEL = "nlp==0.4.0"
V1 = "nlp/metrics/squad/eb12b0cf342c0783e540db14b5a02beff2fa6fbe735cadb01e7646e54a783ce7/evaluate.py"
V2 = "nlp/metrics/squad_v2/b6359b513851e36910d0b0cd15fde54f47890258d41a4dda214cb6088596e8a4/evaluate.py"

PAIRS = [
    ("Denver Broncos", "Denver Broncos"),
    ("the Denver Broncos!", "Denver Broncos"),
    ("An apple a day", "apple day"),
    ("the_x", "thex"),
    ("Anne of the Isles", "anne isles"),
    ("", "the"),
    ("the", ""),
    ("", ""),
    ("a", "an"),
    ("24–10", "24-10"),
    ("“golden anniversary”", "golden anniversary"),
    ("Théâtre de l'Odéon", "theatre de lodeon"),
    ("ΣΟΦΟΣ the", "σοφος"),
    ("1\x1f2\u00a03\u20034", "1 2 3 4"),
    ("cat cat dog", "cat dog dog"),
    ("Santa Clara, California", "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California."),
    ("İstanbul", "i̇stanbul"),
    ("straße", "STRASSE"),
    ("a.b.c", "abc"),
    ("The  The", "the"),
]


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scripts(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp, WHEEL],
        check=True,
    )
    wheel = next(Path(tmp).glob("nlp-0.4.0-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        (Path(tmp) / "v1.py").write_bytes(z.read(V1))
        (Path(tmp) / "v2.py").write_bytes(z.read(V2))
    return load(Path(tmp) / "v1.py", "squad_v1"), load(Path(tmp) / "v2.py", "squad_v2")


def v2_scores(v2, data, preds):
    """The v2.0 script's main(), without files: raw scores, the default threshold, the
    HasAns/NoAns breakdown."""
    na_probs = {k: 0.0 for k in preds}
    qid_to_has_ans = v2.make_qid_to_has_ans(data)
    has_ans = [k for k, v in qid_to_has_ans.items() if v]
    no_ans = [k for k, v in qid_to_has_ans.items() if not v]
    exact_raw, f1_raw = v2.get_raw_scores(data, preds)
    exact = v2.apply_no_ans_threshold(exact_raw, na_probs, qid_to_has_ans, 1.0)
    f1 = v2.apply_no_ans_threshold(f1_raw, na_probs, qid_to_has_ans, 1.0)
    out = v2.make_eval_dict(exact, f1)
    if has_ans:
        v2.merge_eval(out, v2.make_eval_dict(exact, f1, qid_list=has_ans), "HasAns")
    if no_ans:
        v2.merge_eval(out, v2.make_eval_dict(exact, f1, qid_list=no_ans), "NoAns")
    return dict(out)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        v1, v2 = scripts(tmp)
        dataset = json.loads((EXAMPLE / "dev-v1.1.json").read_text())
        data = dataset["data"]
        ids = [qa["id"] for a in data for p in a["paragraphs"] for qa in p["qas"]]
        systems = sorted(f.name[: -len(".json")] for f in (EXAMPLE / "predictions").glob("*.json"))
        out = {"versions": {"python": sys.version.split()[0], "wheel": WHEEL}, "v1": {}, "v1_partial": {}, "v2": {}}
        for s in systems:
            preds = json.loads((EXAMPLE / "predictions" / f"{s}.json").read_text())
            out["v1"][s] = v1.evaluate(data, preds)
            partial = {k: v for k, v in preds.items() if k not in set(ids[:1000])}
            # The v1.1 script reports each missing prediction on stderr.
            with contextlib.redirect_stderr(io.StringIO()):
                out["v1_partial"][s] = v1.evaluate(data, partial)
            # The SQuAD 2.0-style variant.
            data2 = json.loads(json.dumps(data))
            i = 0
            for a in data2:
                for p in a["paragraphs"]:
                    for qa in p["qas"]:
                        if i % 7 == 3:
                            qa["answers"] = []
                        i += 1
            preds2 = {}
            for i, qid in enumerate(ids):
                if qid in preds:
                    preds2[qid] = "" if i % 5 == 1 else preds[qid]
                else:
                    preds2[qid] = ""
            out["v2"][s] = v2_scores(v2, data2, preds2)
        out["pairs"] = [
            {
                "prediction": p,
                "gold": g,
                "v1_exact": bool(v1.exact_match_score(p, g)),
                "v1_f1": float(v1.f1_score(p, g)),
                "v2_exact": int(v2.compute_exact(g, p)),
                "v2_f1": float(v2.compute_f1(g, p)),
                "normalized": v1.normalize_answer(p),
            }
            for p, g in PAIRS
        ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    for s in systems:
        print(f"{s:32} v1.1 EM {out['v1'][s]['exact_match']:.2f} F1 {out['v1'][s]['f1']:.2f}")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
