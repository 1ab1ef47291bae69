//! How the graph is stored: the adjacency lists of all revisions in two
//! allocations ([`Adj`]), the hasher of the id map, and the prefix key that
//! orders ids and file names without comparing most strings. Pure; it uses
//! nothing but `std`.

use super::Ix;

/// The first eight bytes of `s` as a big-endian number (zero-padded):
/// ordering by it, then by the whole of `s`, is byte order, and most pairs
/// are ordered by the number alone, without comparing strings.
pub(crate) fn prefix_key(s: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let head = &s[..s.len().min(8)];
    b[..head.len()].copy_from_slice(head);
    u64::from_be_bytes(b)
}

/// FNV-1a for the id map built with every graph: ids are short, and this
/// costs a fraction of the default hasher.
#[derive(Clone, Copy, Default)]
pub(super) struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0xcbf2_9ce4_8422_2325)
    }
}

pub(super) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The adjacency lists of all revisions in two allocations (compressed
/// rows): the list of revision `i` is `items[start[i]..start[i + 1]]`, read
/// as `adj[i]`. Built row by row, in revision order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Adj {
    start: Vec<u32>,
    pub(super) items: Vec<Ix>,
}

impl Adj {
    /// No rows yet, room for `rows` rows and `edges` entries.
    pub(super) fn with_capacity(rows: usize, edges: usize) -> Adj {
        let mut start = Vec::with_capacity(rows + 1);
        start.push(0);
        Adj {
            start,
            items: Vec::with_capacity(edges),
        }
    }

    /// `rows` empty rows.
    pub(super) fn empty(rows: usize) -> Adj {
        Adj {
            start: vec![0; rows + 1],
            items: Vec::new(),
        }
    }

    /// Rows built by `f(i, row)` for `i` in `0..rows`.
    pub(super) fn from_rows(rows: usize, mut f: impl FnMut(Ix, &mut Vec<Ix>)) -> Adj {
        let mut adj = Adj::with_capacity(rows, rows);
        for i in 0..rows {
            f(i, &mut adj.items);
            adj.end_row();
        }
        adj
    }

    /// Row `i` of `a`, then the entries of row `i` of `b` it does not hold.
    pub(super) fn union(a: &Adj, b: &Adj) -> Adj {
        Adj::from_rows(a.rows(), |i, row| {
            let from = row.len();
            row.extend_from_slice(&a[i]);
            for &x in &b[i] {
                if !row[from..].contains(&x) {
                    row.push(x);
                }
            }
        })
    }

    /// Adds `x` to the row being built unless the row holds it already.
    pub(super) fn push_unique(&mut self, x: Ix) {
        let from = self.start.last().map_or(0, |&s| s as usize);
        if !self.items[from..].contains(&x) {
            self.items.push(x);
        }
    }

    /// Ends the row being built.
    pub(super) fn end_row(&mut self) {
        self.start
            .push(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
    }

    pub(super) fn rows(&self) -> usize {
        self.start.len() - 1
    }

    /// Whether any row has an entry.
    pub(super) fn has_edges(&self) -> bool {
        !self.items.is_empty()
    }

    /// The reverse lists: row `j` holds every `i` whose row holds `j`, in
    /// increasing `i` (as many times as `i`'s row holds `j`).
    pub(super) fn reversed(&self) -> Adj {
        let n = self.rows();
        let mut start = vec![0u32; n + 1];
        for &j in &self.items {
            start[j + 1] += 1;
        }
        for k in 0..n {
            start[k + 1] += start[k];
        }
        let mut fill: Vec<u32> = start[..n].to_vec();
        let mut items = vec![0; self.items.len()];
        for i in 0..n {
            for &j in &self[i] {
                items[fill[j] as usize] = i;
                fill[j] += 1;
            }
        }
        Adj { start, items }
    }
}

impl std::ops::Index<Ix> for Adj {
    type Output = [Ix];

    fn index(&self, i: Ix) -> &[Ix] {
        &self.items[self.start[i] as usize..self.start[i + 1] as usize]
    }
}
