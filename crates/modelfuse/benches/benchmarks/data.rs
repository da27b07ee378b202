//! Synthetic classification predictions, seeded, shaped like the outputs of
//! real fine-tuned models: every sample has a true class, a class it is
//! easily confused with and a difficulty, shared by all models; models differ
//! in skill (accuracy) and temperature (over- or under-confidence), and
//! models of the same "family" (fine-tunes of one base model) share part of
//! their noise, so their errors are correlated. `bench/side_by_side.py` draws
//! data the same way with NumPy (not the same numbers).

use std::fmt;

use modelfuse::learn::rng::Rng;
use modelfuse::{Predictions, Targets, Task};

/// `models × samples × classes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub models: usize,
    pub samples: usize,
    pub classes: usize,
}

/// 10 models × 10,000 samples × 10 classes: the everyday case.
pub const SMALL: Size = Size {
    models: 10,
    samples: 10_000,
    classes: 10,
};

/// 50 models × 100,000 samples × 10 classes: the size of the issue's
/// performance target (and of `bench/run.sh`).
pub const LARGE: Size = Size {
    models: 50,
    samples: 100_000,
    classes: 10,
};

impl fmt::Display for Size {
    /// `50x100000x10`, the parameter part of a benchmark id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.models, self.samples, self.classes)
    }
}

/// Models sharing part of their noise.
const FAMILIES: usize = 5;

/// Predictions of `size.models` models and the true classes, from `seed`.
///
/// # Panics
///
/// Never for sizes with at least two classes: the rows are softmax outputs,
/// which `Predictions::new` accepts.
pub fn classification(size: Size, seed: u64) -> (Predictions, Targets) {
    let Size {
        models,
        samples: n,
        classes: k,
    } = size;
    let mut rng = Rng::new(seed);
    let y: Vec<usize> = (0..n).map(|_| rng.below(k)).collect();
    let confuser: Vec<usize> = y.iter().map(|&c| (c + 1 + rng.below(k - 1)) % k).collect();
    // Beta(1, 3)-like: most samples are easy, a few hard.
    let difficulty: Vec<f64> = (0..n).map(|_| 1.0 - rng.next_f64().cbrt()).collect();
    let mut noise = |len: usize| -> Vec<f64> { (0..len).map(|_| normal(&mut rng)).collect() };
    let shared = noise(n * k);
    let families: Vec<Vec<f64>> = (0..FAMILIES).map(|_| noise(n * k)).collect();
    let mut values = Vec::with_capacity(models * n * k);
    let mut z = vec![0.0; k];
    for m in 0..models {
        let skill = 1.0 + 3.0 * rng.next_f64();
        let temperature = (0.6f64.ln() + rng.next_f64() * 3f64.ln()).exp();
        let family = &families[m % FAMILIES];
        for i in 0..n {
            for c in 0..k {
                let cell = i * k + c;
                z[c] = 0.7 * shared[cell] + 0.7 * family[cell] + normal(&mut rng);
            }
            z[y[i]] += skill * (1.0 - difficulty[i]);
            z[confuser[i]] += 2.5 * difficulty[i];
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = z.iter().map(|v| ((v - max) / temperature).exp()).sum();
            values.extend(
                z.iter()
                    .map(|v| (((v - max) / temperature).exp() / total) as f32),
            );
        }
    }
    let names = |prefix: &str, count: usize| -> Vec<String> {
        (0..count).map(|i| format!("{prefix}{i:03}")).collect()
    };
    let preds = Predictions::new(
        Task::Multiclass { n_classes: k },
        names("m", models),
        names("", n),
        names("c", k),
        values,
    )
    .expect("softmax rows are valid predictions");
    (preds, Targets::Classes(y))
}

/// A standard normal draw (Box–Muller; one of the pair is dropped, which
/// costs nothing that matters here).
fn normal(rng: &mut Rng) -> f64 {
    let u = 1.0 - rng.next_f64();
    let v = rng.next_f64();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The class indices of classification targets.
///
/// # Panics
///
/// For other targets: the benchmarks make only classification targets.
pub fn classes(targets: &Targets) -> &[usize] {
    match targets {
        Targets::Classes(y) => y,
        _ => panic!("expected class targets"),
    }
}
