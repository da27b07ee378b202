//! MBR with the chrF utility over 12 systems × 2,000 segments: real WMT22
//! zh-en outputs (the 12 systems of WMT22 zh-en, the first 250 segments as laid out by
//! `modelfuse-testdata` from `../shared/data/wmt22`,
//! repeated 8 times; every segment is computed by itself, so repetition
//! changes nothing but the size). Measured: counting every candidate's
//! n-grams, the 12×12 sentence-chrF matrix of every segment, and the
//! selection. Before measuring, the picks are checked against the ones
//! sacrebleu's `sentence_chrf` gives (tests/golden/generate.json).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use modelfuse_nlp::generate::{
    Candidates, Chrf, Mbr, SegmentMetric, SystemOutput, Utility, UtilityMatrices,
};

const REPEAT: usize = 8;

fn zh_en() -> (Candidates, Vec<usize>) {
    let dir = modelfuse_testdata::wmt22().join("zh-en/hyp");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let outputs = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let repeated = vec![lines.join("\n"); REPEAT].join("\n");
            let name = f.file_stem().unwrap().to_str().unwrap().to_string();
            SystemOutput::from_lines(name, &repeated)
        })
        .collect();
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/golden/generate.json")).unwrap();
    let picks: Vec<usize> = golden["mbr"]["picks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap() as usize)
        .collect();
    (Candidates::new(outputs).unwrap(), picks.repeat(REPEAT))
}

fn mbr(c: &Candidates) -> Vec<usize> {
    let m = UtilityMatrices::compute(Utility::Chrf, c).unwrap();
    let s = c.systems().len();
    Mbr::default().select(&m, c, &vec![1.0 / s as f64; s])
}

pub fn bench_mbr(cr: &mut Criterion) {
    let (c, want) = zh_en();
    assert_eq!((c.systems().len(), c.n_segments()), (12, 2000));
    assert_eq!(
        mbr(&c),
        want,
        "MBR must pick what sacrebleu's sentence_chrf picks"
    );
    let mut g = cr.benchmark_group("generate/mbr_chrf");
    g.throughput(Throughput::Elements(c.n_segments() as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("12x2000", |b| b.iter(|| mbr(black_box(&c))));
    g.finish();

    // One sentence chrF from scratch, for the per-pair cost without reuse.
    let (h, r) = (&c.segment(0)[0].text, &c.segment(0)[1].text);
    let mut g = cr.benchmark_group("generate/sentence_chrf");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_pair", |b| {
        b.iter(|| Chrf::CHRF.sentence(black_box(h), black_box(r)))
    });
    g.finish();
}

pub fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench_mbr(&mut c);
}
