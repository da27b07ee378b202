//! The projected Newton solver of [`super::optimize_weights`], with the
//! Gram matrix of its Hessian.

use super::qp::SimplexQp;
use super::*;

/// Projected Newton on the simplex.
///
/// Why this method: the objectives are smooth and convex, and fused models
/// are typically strongly correlated (checkpoints of one fine-tuning run,
/// the same model at different temperatures), so the Hessian is badly
/// conditioned. First-order methods pay for that in iterations: spectral
/// projected gradient (Barzilai–Borwein steps, O(M·N·K) each), tried first,
/// took 13–30 iterations on diverse models but had not converged after
/// 10,000 (over three minutes) on 50 near-copies of one model, where SLSQP's
/// quasi-Newton steps would have won.
/// Newton's method is immune to conditioning: each step minimises the exact
/// second-order model over the simplex (a small quadratic programme, solved
/// exactly by an active-set method), an Armijo backtracking search makes it
/// globally convergent, and near the optimum it converges quadratically, in
/// a handful of steps whatever the correlation.
///
/// The price is the Hessian, O(S²·N·K) for the S models in play: those with
/// weight, plus those with none whose gradient says they would help. S
/// starts at M from uniform weights but falls to the support of the optimum
/// (usually a few models) within a few steps, so the total is a few passes
/// of O(M²·N·K) at most; it is computed in cache-sized blocks of cells as a
/// Gram matrix, without materialising anything model-sized.
pub(super) struct Newton<'a> {
    pub(super) problem: &'a Problem,
    pub(super) tol: f64,
    /// The current weights, their fused values, objective, loss derivatives
    /// and gradient.
    pub(super) w: Vec<f64>,
    pub(super) z: Vec<f64>,
    pub(super) f: f64,
    pub(super) r: Vec<f64>,
    pub(super) g: Vec<f64>,
    // Scratch space, allocated once: the models in play and their Hessian,
    // the quadratic programme, the Newton point and line-search trials.
    pub(super) free: Vec<usize>,
    pub(super) hessian: Vec<f64>,
    pub(super) gram: Gram,
    pub(super) qp: SimplexQp,
    pub(super) g_free: Vec<f64>,
    pub(super) w_free: Vec<f64>,
    pub(super) x_free: Vec<f64>,
    pub(super) d_free: Vec<f64>,
    pub(super) x: Vec<f64>,
    pub(super) zx: Vec<f64>,
    pub(super) zt: Vec<f64>,
    pub(super) rt: Vec<f64>,
}

impl<'a> Newton<'a> {
    pub(super) fn new(problem: &'a Problem, tol: f64) -> Self {
        let m = problem.n_models;
        let len = problem.cells * problem.width;
        let w = vec![1.0 / m as f64; m];
        let mut z = vec![0.0; len];
        let mut r = vec![0.0; len];
        let mut g = vec![0.0; m];
        problem.fuse(&w, &mut z);
        let f = problem.loss(&z, &mut r);
        problem.gradient(&r, &mut g);
        Newton {
            problem,
            tol,
            w,
            z,
            f,
            r,
            g,
            free: Vec::with_capacity(m),
            hessian: vec![0.0; m * m],
            gram: Gram::new(m, problem.width),
            qp: SimplexQp::new(m),
            g_free: vec![0.0; m],
            w_free: vec![0.0; m],
            x_free: vec![0.0; m],
            d_free: vec![0.0; m],
            x: vec![0.0; m],
            zx: vec![0.0; len],
            zt: vec![0.0; len],
            rt: vec![0.0; len],
        }
    }

    pub(super) fn certified(&self) -> bool {
        duality_gap(&self.w, &self.g) <= self.tol * self.f.abs().max(1.0)
    }

    pub(super) fn stop(&self) -> Result<Step> {
        Ok(Step {
            objective: self.f,
            converged: true,
        })
    }
}

impl Solver for Newton<'_> {
    fn next_iter(&mut self) -> Result<Step> {
        if self.certified() {
            return self.stop();
        }
        let problem = self.problem;
        // In play: every model with weight, and every model without whose
        // gradient is below the highest among them (moving weight to it
        // would lower the objective). The others stay at zero this step.
        let ceiling = self
            .w
            .iter()
            .zip(&self.g)
            .filter(|(w, _)| **w > 0.0)
            .map(|(_, g)| *g)
            .fold(f64::NEG_INFINITY, f64::max);
        self.free.clear();
        self.free
            .extend((0..problem.n_models).filter(|&m| self.w[m] > 0.0 || self.g[m] < ceiling));
        let s = self.free.len();
        problem.hessian(
            &self.z,
            &self.free,
            &mut self.hessian[..s * s],
            &mut self.gram,
        );
        // The second-order model of the objective in the step d = x − w,
        // minimised over the simplex for the models in play.
        let h = &self.hessian[..s * s];
        for (a, &m) in self.free.iter().enumerate() {
            self.g_free[a] = self.g[m];
            self.w_free[a] = self.w[m];
        }
        self.qp.solve(
            h,
            &self.g_free[..s],
            &self.w_free[..s],
            &mut self.x_free[..s],
        );
        self.x.fill(0.0);
        for (a, &m) in self.free.iter().enumerate() {
            self.x[m] = self.x_free[a];
            self.d_free[a] = self.x_free[a] - self.w[m];
        }
        let d = &self.d_free[..s];
        let slope: f64 = self
            .x
            .iter()
            .zip(&self.w)
            .zip(&self.g)
            .map(|((x, w), g)| (x - w) * g)
            .sum();
        if slope >= 0.0 || !slope.is_finite() {
            // No descent direction left at working precision.
            return self.stop();
        }
        let curvature: f64 = (0..s).map(|a| d[a] * dot(&h[a * s..(a + 1) * s], d)).sum();
        // The decrease the model predicts (the Newton decrement): near the
        // optimum, where the model is exact to third order, it is how far
        // the objective is above the optimum. When it is below the
        // tolerance the step is taken only if it does not hurt, and the
        // search ends, even if rounding keeps the duality gap above it.
        let predicted = -(slope + 0.5 * curvature);
        let last = predicted <= self.tol * self.f.abs().max(1.0);
        problem.fuse(&self.x, &mut self.zx);
        // The fused values are linear in the weights, so a trial point
        // w + t(x − w) fuses to (1 − t) z + t z_x: backtracking never
        // re-reads the predictions.
        let mut t = 1.0;
        let f_new = loop {
            let f_trial = if t == 1.0 {
                problem.loss(&self.zx, &mut self.rt)
            } else {
                for ((zt, &z), &zx) in self.zt.iter_mut().zip(&self.z).zip(&self.zx) {
                    *zt = (1.0 - t) * z + t * zx;
                }
                problem.loss(&self.zt, &mut self.rt)
            };
            if f_trial <= self.f + ARMIJO * t * slope || (last && f_trial <= self.f) {
                break f_trial;
            }
            if last {
                return self.stop();
            }
            if t < 1e-20 {
                // No decrease is representable along the step: converged to
                // working precision.
                return self.stop();
            }
            // Minimise the quadratic through f(w), the slope and f_trial,
            // kept within [0.1t, 0.5t] so the search always shrinks.
            let curvature = f_trial - self.f - t * slope;
            let quadratic = -slope * t * t / (2.0 * curvature);
            t = if quadratic.is_finite() {
                quadratic.clamp(0.1 * t, 0.5 * t)
            } else {
                0.5 * t
            };
        };
        if t == 1.0 {
            // Exactly x, so weights the programme set to zero stay zero.
            self.w.copy_from_slice(&self.x);
            std::mem::swap(&mut self.z, &mut self.zx);
        } else {
            for (w, &x) in self.w.iter_mut().zip(&self.x) {
                *w += t * (x - *w);
            }
            std::mem::swap(&mut self.z, &mut self.zt);
        }
        std::mem::swap(&mut self.r, &mut self.rt);
        problem.gradient(&self.r, &mut self.g);
        self.f = f_new;
        Ok(Step {
            objective: f_new,
            converged: last || self.certified(),
        })
    }
}
