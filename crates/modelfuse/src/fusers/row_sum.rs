//! The [`RowSum`] of the fusers that add weighted per-model terms (the
//! means, the geometric mean): models given one at a time, each row's sum
//! taken in model order, so the fused bits are those of the blocked batch
//! kernels ([`super::weighted_mean`], [`super::weighted_sum`]).

use rayon::prelude::*;

use crate::fuser::{RowShape, RowSum};
use crate::predictions::Task;

/// Cells per parallel chunk of an addition (whole rows are not needed: a
/// cell's sum never looks at its neighbours).
const CHUNK: usize = 1 << 16;

/// `Σ_m w_m · f(x_m)` per cell, in f64, then `finish` on the rows and a
/// rounding to f32. Generic over `f` so that the means' identity term is
/// inlined into a loop the compiler vectorises (through a function pointer
/// it was a call per cell).
pub(crate) struct WeightedRowSum<F> {
    weights: Vec<f64>,
    f: F,
    finish: fn(Task, usize, &mut [f64]),
    shape: RowShape,
    acc: Vec<f64>,
}

impl<F: Fn(f32) -> f64 + Copy + Send + Sync> WeightedRowSum<F> {
    /// A sum for `shape` with one weight per model (checked by the caller).
    pub(crate) fn new(
        shape: RowShape,
        weights: &[f64],
        f: F,
        finish: fn(Task, usize, &mut [f64]),
    ) -> Self {
        WeightedRowSum {
            weights: weights.to_vec(),
            f,
            finish,
            shape,
            acc: vec![0.0; shape.rows * shape.outputs()],
        }
    }
}

impl<F: Fn(f32) -> f64 + Copy + Send + Sync> RowSum for WeightedRowSum<F> {
    fn add(&mut self, m: usize, block: &[f32]) {
        let w = self.weights[m];
        // The batch kernels skip models of weight zero; so does this.
        if w == 0.0 {
            return;
        }
        let f = self.f;
        self.acc
            .par_chunks_mut(CHUNK)
            .zip(block.par_chunks(CHUNK))
            .for_each(|(acc, x)| {
                for (a, &x) in acc.iter_mut().zip(x) {
                    *a += w * f(x);
                }
            });
    }

    fn finish(self: Box<Self>) -> Vec<f32> {
        let WeightedRowSum {
            finish,
            shape,
            mut acc,
            ..
        } = *self;
        let k = shape.outputs();
        acc.par_chunks_mut(super::block_len(k))
            .for_each(|rows| finish(shape.task, k, rows));
        acc.into_par_iter().map(|x| x as f32).collect()
    }
}
