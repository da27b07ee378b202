#!/usr/bin/env python3
"""Golden values for `crates/modelfuse-nlp/src/generate/`, computed with sacrebleu.

Writes `crates/modelfuse-nlp/tests/golden/generate.json`, read by
`crates/modelfuse-nlp/tests/golden_generate.rs`:

- `corpus`: for every system of the WMT22 slices in `examples/wmt22/data/` (`examples/get-data.sh wmt22`) (en-de,
  de-en, zh-en with the 13a tokeniser; en-zh with `zh` and, for contrast, 13a),
  sacrebleu's corpus chrF, chrF++ and BLEU against reference A, and the
  summed sufficient statistics behind each (compared exactly in Rust).
- `corpus_two_refs`: the same with references A and B together (sacrebleu's
  multi-reference rules: chrF takes each segment's best reference, BLEU clips
  by the largest count in any reference and takes the closest length).
- `sentence`: sentence chrF, chrF++ and BLEU (`sentence_bleu` defaults: exp
  smoothing, effective order) on a sample of segments: each system against
  reference A, and against another system's output (the pairs MBR scores).
- `edge`: hand-written strings that exercise the tokenisers' corner cases,
  with sacrebleu's tokenisation and sentence scores.
- `mbr`: the MBR selection on the zh-en slice computed with sacrebleu's
  `sentence_chrf` (uniform weights, each candidate also its own
  pseudo-reference, ties to the lower system index in name order).

Files are read exactly as the Rust side reads them: UTF-8, split on "\\n"
with a trailing "\\r" removed, a final newline not starting an extra line.

Usage: /work/venv/bin/python scripts/golden/generate_golden.py
(any Python with the packages in requirements.txt).
"""

import json
import platform
from pathlib import Path

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

ROOT = Path(__file__).resolve().parents[2]
# Laid out by `examples/get-data.sh wmt22` (the WMT22 files are not committed).
EXAMPLES = ROOT / "examples" / "wmt22" / "data"
OUT = ROOT / "crates" / "modelfuse-nlp" / "tests" / "golden" / "generate.json"

PAIRS = [("en-de", ["13a"]), ("de-en", ["13a"]), ("zh-en", ["13a"]), ("en-zh", ["zh", "13a"])]
SENTENCE_EVERY = 7


def read_lines(path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [l[:-1] if l.endswith("\r") else l for l in lines]


def systems(pair):
    tgt = pair.split("-")[1]
    return sorted(p.name[: -len(tgt) - 1] for p in (EXAMPLES / pair / "hyp").glob(f"*.{tgt}"))


def load(pair):
    tgt = pair.split("-")[1]
    hyps = {s: read_lines(EXAMPLES / pair / "hyp" / f"{s}.{tgt}") for s in systems(pair)}
    ref = read_lines(EXAMPLES / pair / f"ref.A.{tgt}")
    return hyps, ref


def load_ref_b(pair):
    tgt = pair.split("-")[1]
    return read_lines(EXAMPLES / pair / f"ref.B.{tgt}")


def stats(metric, hyps, ref, ref_b=None):
    per_segment = metric._extract_corpus_statistics(hyps, [ref] if ref_b is None else [ref, ref_b])
    return [int(v) for v in sacrebleu.utils.sum_of_lists(per_segment)]


def dump(value):
    """JSON with one line per case: short enough to read, diffs per case."""
    one = lambda v: json.dumps(v, ensure_ascii=False)
    parts = []
    for key, v in value.items():
        if isinstance(v, list):
            body = ",\n".join("  " + one(x) for x in v)
            parts.append(f" {one(key)}: [\n{body}\n ]")
        elif isinstance(v, dict) and key == "mbr":
            inner = ",\n".join(f"  {one(k)}: {one(x)}" for k, x in v.items())
            parts.append(f" {one(key)}: {{\n{inner}\n }}")
        else:
            parts.append(f" {one(key)}: {one(v)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    chrf, chrfpp = CHRF(), CHRF(word_order=2)
    corpus, sentence, multi = [], [], []
    for pair, tokenizers in PAIRS:
        hyps, ref = load(pair)
        names = sorted(hyps)
        for s in names:
            for tok in tokenizers:
                bleu = BLEU(tokenize=tok)
                corpus.append({
                    "pair": pair, "system": s, "tokenize": tok,
                    "chrf": chrf.corpus_score(hyps[s], [ref]).score,
                    "chrf_stats": stats(chrf, hyps[s], ref),
                    "chrf++": chrfpp.corpus_score(hyps[s], [ref]).score,
                    "chrf++_stats": stats(chrfpp, hyps[s], ref),
                    "bleu": bleu.corpus_score(hyps[s], [ref]).score,
                    "bleu_stats": stats(bleu, hyps[s], ref),
                })
        # References A and B together: sacrebleu's multi-reference rules.
        ref_b = load_ref_b(pair)
        tok = tokenizers[0]
        bleu = BLEU(tokenize=tok)
        for s in names:
            multi.append({
                "pair": pair, "system": s, "tokenize": tok,
                "chrf": chrf.corpus_score(hyps[s], [ref, ref_b]).score,
                "chrf_stats": stats(chrf, hyps[s], ref, ref_b),
                "chrf++": chrfpp.corpus_score(hyps[s], [ref, ref_b]).score,
                "chrf++_stats": stats(chrfpp, hyps[s], ref, ref_b),
                "bleu": bleu.corpus_score(hyps[s], [ref, ref_b]).score,
                "bleu_stats": stats(bleu, hyps[s], ref, ref_b),
            })
        for k, s in enumerate(names):
            other = names[(k + 1) % len(names)]
            for seg in range(k % SENTENCE_EVERY, len(ref), SENTENCE_EVERY):
                for against, r in (("ref.A", ref[seg]), (other, hyps[other][seg])):
                    h = hyps[s][seg]
                    sentence.append({
                        "pair": pair, "system": s, "against": against, "segment": seg,
                        "tokenize": tok,
                        "chrf": sacrebleu.sentence_chrf(h, [r]).score,
                        "chrf++": sacrebleu.sentence_chrf(h, [r], word_order=2).score,
                        "bleu": sacrebleu.sentence_bleu(h, [r], tokenize=tok).score,
                    })

    edge_texts = [
        ("Hello, world.", "Hello world!"),
        ("It costs 3.50 (or 1,000)!", "It costs 3,50 or 1.000 !"),
        ("2020-2021 &amp; don't &quot;x&quot; &lt;b&gt;", "2020 - 2021 & don't"),
        ("a..b,,c", "a. . b"),
        ("<skipped> text-\nnext", "text next"),
        ("  spaced\tout \u00a0words  ", "spaced out words"),
        ("sep\u001carated\u001fby\u001dinfo", "separated by info"),
        ("\u201cquoted\u201d \u2014 dash \u2026", "\"quoted\" - dash ..."),
        ("我们今天去北京。", "我们明天去北京！"),
        ("全角ＡＢＣ，半角abc", "ＡＢＣ abc"),
        ("\U00020000\U0002a6d6 ext-B", "\U00020000 ext-B"),
        ("(hi) [there] {x}", "( hi ) there x"),
        ("", "nonempty"),
        ("x", ""),
        ("   ", "   "),
        ("Ünïcödé façade café", "Unicode facade cafe"),
        ("one two three four five", "one two three four five"),
        ("ab", "abc"),
    ]
    edge = []
    t13a, tzh = Tokenizer13a(), TokenizerZh()
    for h, r in edge_texts:
        for tok in ("13a", "zh"):
            edge.append({
                "hyp": h, "ref": r, "tokenize": tok,
                "tokens": (t13a if tok == "13a" else tzh)(h.rstrip()),
                "chrf": sacrebleu.sentence_chrf(h, [r]).score,
                "chrf++": sacrebleu.sentence_chrf(h, [r], word_order=2).score,
                "bleu": sacrebleu.sentence_bleu(h, [r], tokenize=tok).score,
            })

    # MBR on zh-en with sacrebleu's sentence chrF.
    hyps, ref = load("zh-en")
    names = sorted(hyps)
    picks = []
    for seg in range(len(ref)):
        cands = [hyps[s][seg] for s in names]
        best, best_score = 0, float("-inf")
        for i, c in enumerate(cands):
            score = 0.0
            for j, r in enumerate(cands):
                score += (1.0 / len(cands)) * sacrebleu.sentence_chrf(c, [r]).score
            if score > best_score:
                best, best_score = i, score
        picks.append(best)

    sig_metrics = {"chrf": CHRF(), "chrf++": CHRF(word_order=2), "bleu": BLEU()}
    for m in sig_metrics.values():
        m.corpus_score(["a"], [["a"]])
    out = {
        "versions": {"python": platform.python_version(), "sacrebleu": sacrebleu.__version__},
        "signatures": {k: str(m.get_signature()) for k, m in sig_metrics.items()},
        "corpus": corpus,
        "corpus_two_refs": multi,
        "sentence": sentence,
        "edge": edge,
        "mbr": {"pair": "zh-en", "systems": names, "picks": picks},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dump(out), encoding="utf-8")
    print(f"wrote {OUT}: {len(corpus)} corpus, {len(multi)} two-reference, {len(sentence)} sentence, {len(edge)} edge cases")


if __name__ == "__main__":
    main()
