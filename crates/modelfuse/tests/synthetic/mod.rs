//! The seeded synthetic predictions of `scripts/golden/synthetic.py`, rebuilt
//! here from `modelfuse::learn::rng::Rng` with the same arithmetic in the same
//! order, so the golden files store a recipe and a checksum instead of the
//! inputs. See that script for the definitions.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use modelfuse::learn::rng::Rng;
use modelfuse::{Predictions, Result, Task};
use serde_json::Value;

/// The extra mass a synthetic model puts on the class it believes in.
const BOOST: f64 = 2.0;

/// Class probabilities of one model per entry of `skills` (percent of
/// samples the model knows) on `n` samples, and the true classes.
/// `copies` lists `(model, source)`: `model`'s rows become `source`'s.
pub fn classification(
    seed: u64,
    n: usize,
    k: usize,
    skills: &[u64],
    copies: &[(usize, usize)],
) -> Result<(Predictions, Vec<usize>)> {
    let mut rng = Rng::new(seed);
    let y: Vec<usize> = (0..n).map(|_| rng.below(k)).collect();
    let mut blocks: Vec<Vec<f32>> = Vec::with_capacity(skills.len());
    for &skill in skills {
        let q = skill as f64 / 100.0;
        let mut block = Vec::with_capacity(n * k);
        for &truth in &y {
            let u: Vec<f64> = (0..k).map(|_| rng.next_f64()).collect();
            let believed = if rng.next_f64() < q {
                truth
            } else {
                rng.below(k)
            };
            let mut s = 0.0;
            for &x in &u {
                s += x;
            }
            s += BOOST;
            for (j, &x) in u.iter().enumerate() {
                let boost = if j == believed { BOOST } else { 0.0 };
                block.push(((x + boost) / s) as f32);
            }
        }
        blocks.push(block);
    }
    for &(m, source) in copies {
        blocks[m] = blocks[source].clone();
    }
    let task = if k == 2 {
        Task::Binary
    } else {
        Task::Multiclass { n_classes: k }
    };
    let preds = Predictions::new(
        task,
        names("m", skills.len()),
        names("", n),
        names("c", k),
        blocks.concat(),
    )?;
    Ok((preds, y))
}

/// Values of one model per entry of `noise` (and `bias`), both in tenths,
/// on `n` samples, and the true values.
pub fn regression(
    seed: u64,
    n: usize,
    noise: &[i64],
    bias: &[i64],
) -> Result<(Predictions, Vec<f64>)> {
    let mut rng = Rng::new(seed);
    let y: Vec<f64> = (0..n).map(|_| 10.0 * rng.next_f64()).collect();
    let mut values = Vec::with_capacity(noise.len() * n);
    for (&sigma, &shift) in noise.iter().zip(bias) {
        let (sigma, shift) = (sigma as f64 / 10.0, shift as f64 / 10.0);
        for &truth in &y {
            values.push(((truth + shift) + sigma * (rng.next_f64() - 0.5)) as f32);
        }
    }
    let preds = Predictions::new(
        Task::Regression,
        names("m", noise.len()),
        names("", n),
        vec!["value".into()],
        values,
    )?;
    Ok((preds, y))
}

/// The checksum of the script: Σ value · (index mod 7 + 1), in order.
pub fn checksum(preds: &Predictions) -> f64 {
    let mut total = 0.0;
    for (i, &x) in preds.as_slice().iter().enumerate() {
        total += f64::from(x) * ((i % 7 + 1) as f64);
    }
    total
}

/// Builds a dataset described in a golden file, checking its checksum.
pub enum Data {
    /// Class probabilities and true classes.
    Classes(Predictions, Vec<usize>),
    /// Regression values and true values.
    Values(Predictions, Vec<f64>),
}

impl Data {
    pub fn from_json(d: &Value) -> Data {
        let ints = |key: &str| -> Vec<i64> {
            d[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key} is a list"))
                .iter()
                .map(|v| v.as_i64().expect("integers"))
                .collect()
        };
        let seed = d["seed"].as_u64().expect("seed");
        let n = d["n"].as_u64().expect("n") as usize;
        let data = match d["kind"].as_str() {
            Some("classification") => {
                let k = d["k"].as_u64().expect("k") as usize;
                let skills: Vec<u64> = ints("skills").into_iter().map(|s| s as u64).collect();
                let copies: Vec<(usize, usize)> = d["copies"]
                    .as_array()
                    .expect("copies")
                    .iter()
                    .map(|p| {
                        let p = p.as_array().expect("pairs");
                        (
                            p[0].as_u64().unwrap() as usize,
                            p[1].as_u64().unwrap() as usize,
                        )
                    })
                    .collect();
                let (p, y) = classification(seed, n, k, &skills, &copies).unwrap();
                Data::Classes(p, y)
            }
            Some("regression") => {
                let (p, y) = regression(seed, n, &ints("noise"), &ints("bias")).unwrap();
                Data::Values(p, y)
            }
            other => panic!("unknown dataset kind {other:?}"),
        };
        let expected = d["checksum_bits"].as_u64().expect("checksum_bits");
        // The generators must agree to the bit; a tolerance would hide a
        // reordered operation that changes a float32 rounding somewhere.
        assert_eq!(
            checksum(data.preds()).to_bits(),
            expected,
            "inputs differ from the script's"
        );
        data
    }

    pub fn preds(&self) -> &Predictions {
        match self {
            Data::Classes(p, _) | Data::Values(p, _) => p,
        }
    }

    pub fn targets(&self) -> modelfuse::Targets {
        match self {
            Data::Classes(_, y) => modelfuse::Targets::Classes(y.clone()),
            Data::Values(_, y) => modelfuse::Targets::Values(y.clone()),
        }
    }
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}
