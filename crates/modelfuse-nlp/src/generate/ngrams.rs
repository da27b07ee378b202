//! N-gram counts shared by every text of one segment, computed once.
//!
//! MBR compares every candidate of a segment with every other, so the n-grams
//! of each candidate are counted once and reused for all its pairs. The
//! n-grams of all texts of a segment are interned to small integer ids (the
//! ids are assigned in the order the texts are given, never in hash-map
//! order), and each text keeps, per order, its `(id, count)` pairs sorted by
//! id. The clipped match count of a pair, `Σ min(count_hyp, count_ref)`, is
//! then one merge of two sorted lists: O(L) per order for texts of length L,
//! with no hashing and no allocation per pair.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The counted n-grams of one text: for each order `1..=max_order`, the
/// `(id, count)` pairs sorted by id, and their total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) orders: Vec<Order>,
}

/// One order's n-grams of a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Order {
    /// `(id, count)`, sorted by id, ids unique.
    pub(crate) grams: Vec<(u32, u32)>,
    /// The number of n-grams (the sum of the counts).
    pub(crate) total: u64,
}

impl Order {
    /// `Σ min(count_self, count_other)` over the n-grams both hold.
    pub(crate) fn clipped_matches(&self, other: &Order) -> u64 {
        let (a, b) = (&self.grams, &other.grams);
        let (mut i, mut j, mut m) = (0, 0, 0u64);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    m += u64::from(a[i].1.min(b[j].1));
                    i += 1;
                    j += 1;
                }
            }
        }
        m
    }
}

impl Order {
    /// The n-grams of either, each with the larger of its two counts (how
    /// BLEU merges several references).
    pub(crate) fn max_union(&self, other: &Order) -> Order {
        let (a, b) = (&self.grams, &other.grams);
        let mut grams = Vec::with_capacity(a.len().max(b.len()));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                grams.push(a[i]);
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                grams.push(b[j]);
                j += 1;
            } else {
                grams.push((a[i].0, a[i].1.max(b[j].1)));
                i += 1;
                j += 1;
            }
        }
        let total = grams.iter().map(|&(_, c)| u64::from(c)).sum();
        Order { grams, total }
    }
}

/// Counts the n-grams of orders `1..=max_order` of each unit sequence (the
/// characters, or the word ids, of one text), with ids shared across the
/// sequences so that counts of different texts can be compared.
///
/// N-grams are interned order by order: the n-gram starting at position `i`
/// is the pair (id of the (n-1)-gram at `i`, unit at `i + n - 1`), so every
/// lookup hashes one `u64` whatever the order, instead of a slice of n
/// units. Two n-grams get the same id exactly when their units are equal.
pub(crate) fn count_all(seqs: &[Vec<u32>], max_order: usize) -> Vec<Counts> {
    let mut out: Vec<Counts> = seqs
        .iter()
        .map(|_| Counts {
            orders: Vec::with_capacity(max_order),
        })
        .collect();
    let mut ids: HashMap<u64, u32, FastHash> = HashMap::default();
    // Per sequence, the id of the current order's n-gram at each position.
    let mut prev: Vec<Vec<u32>> = seqs.iter().map(|s| Vec::with_capacity(s.len())).collect();
    let mut buf: Vec<u32> = Vec::new();
    for n in 1..=max_order {
        ids.clear();
        for ((seq, counts), prev) in seqs.iter().zip(out.iter_mut()).zip(prev.iter_mut()) {
            buf.clear();
            if seq.len() >= n {
                for i in 0..=seq.len() - n {
                    let key = if n == 1 {
                        u64::from(seq[i])
                    } else {
                        (u64::from(prev[i]) << 32) | u64::from(seq[i + n - 1])
                    };
                    let next = ids.len() as u32;
                    buf.push(*ids.entry(key).or_insert(next));
                }
            }
            prev.clear();
            prev.extend_from_slice(&buf);
            counts.orders.push(run_lengths(&mut buf));
        }
    }
    out
}

/// Sorts the ids and counts equal runs.
fn run_lengths(ids: &mut [u32]) -> Order {
    ids.sort_unstable();
    let mut grams: Vec<(u32, u32)> = Vec::new();
    for &id in ids.iter() {
        match grams.last_mut() {
            Some((last, c)) if *last == id => *c += 1,
            _ => grams.push((id, 1)),
        }
    }
    Order {
        grams,
        total: ids.len() as u64,
    }
}

/// Interns strings (words) to ids in first-seen order.
#[derive(Default)]
pub(crate) struct Words<'a> {
    ids: HashMap<&'a str, u32, FastHash>,
}

impl<'a> Words<'a> {
    pub(crate) fn id(&mut self, word: &'a str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(word).or_insert(next)
    }
}

/// The FxHash mixing step (rustc's hasher): n-gram keys are short slices of
/// small integers, where SipHash's DoS resistance buys nothing and costs
/// most of the counting time. Used for lookups only; nothing iterates these
/// maps, so their order never leaks into results.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

type FastHash = BuildHasherDefault<FxHasher>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<u32> {
        s.chars().map(u32::from).collect()
    }

    #[test]
    fn counts_and_matches_are_clipped() {
        let c = count_all(&[chars("aaab"), chars("aab")], 2);
        assert_eq!(c[0].orders[0].total, 4);
        assert_eq!(c[0].orders[0].clipped_matches(&c[1].orders[0]), 3);
        // bigrams: aa,aa,ab vs aa,ab
        assert_eq!(c[0].orders[1].clipped_matches(&c[1].orders[1]), 2);
        assert_eq!(c[1].orders[1].clipped_matches(&c[0].orders[1]), 2);
    }

    #[test]
    fn max_union_keeps_the_larger_count() {
        let c = count_all(&[chars("aab"), chars("abbc")], 1);
        let u = c[0].orders[0].max_union(&c[1].orders[0]);
        // a:2, b:2, c:1
        assert_eq!(u.total, 5);
        assert_eq!(u.grams.len(), 3);
    }

    #[test]
    fn short_texts_have_no_long_grams() {
        let c = count_all(&[chars("a"), Vec::new()], 3);
        assert_eq!(c[0].orders[2].total, 0);
        assert_eq!(c[1].orders[0].total, 0);
    }
}
