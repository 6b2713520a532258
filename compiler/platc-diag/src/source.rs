//! Source files, byte spans and line/column lookup.

use std::sync::OnceLock;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one file. `start..end`, with `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        debug_assert!(start <= end);
        Span { file, start, end }
    }

    /// The smallest span covering both (they must be in one file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One-based line and column (column counted in Unicode scalar values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One source file: its display name (relative to the project root, or
/// `std/...` for the embedded stdlib) and its text.
#[derive(Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    /// Where each line starts, found when first asked for: only
    /// diagnostics and reports of places need it, and most files of a
    /// clean build have none.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        SourceFile {
            name: name.into(),
            text,
            line_starts: OnceLock::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn line_starts(&self) -> &[usize] {
        self.line_starts
            .get_or_init(|| line_starts(self.text.as_bytes()))
    }

    /// Zero-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts().binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// One-based line and column of a byte offset (clamped to the text and
    /// to a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_index(offset);
        let start = self.line_starts()[line];
        let column = self.text[start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }
}

/// The offsets where lines start: 0 and one past each `\n`.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
    starts.push(0);
    for_each_byte(bytes, b'\n', |i| starts.push(i + 1));
    starts
}

/// Calls `f` with the offset of each byte equal to `needle`, in order.
/// Eight bytes are tested at a time (the zero-byte test on the word XOR
/// the needle repeated), and only a word that holds the byte is looked at
/// byte by byte: text without it costs about an instruction per byte.
pub fn for_each_byte(bytes: &[u8], needle: u8, mut f: impl FnMut(usize)) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let repeated = ONES * u64::from(needle);
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ repeated;
        // Non-zero exactly when some byte of `word` is zero (a byte of
        // `bytes` is the needle); which bits are set is not exact past the
        // first, so the word's bytes are then compared one by one.
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            for (i, &b) in chunk.iter().enumerate() {
                if b == needle {
                    f(base + i);
                }
            }
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == needle {
            f(base + i);
        }
    }
}

/// All files of one compilation.
#[derive(Default, Debug)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(name, text));
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn text(&self, span: Span) -> &str {
        &self.get(span.file).text()[span.range()]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let f = SourceFile::new("x", "ab\nçd\n".to_string());
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // after the two-byte 'ç'
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        // inside 'ç' is clamped back to its start
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(100), LineCol { line: 3, column: 1 });
    }

    /// The line index found sixteen bytes at a time is the one found byte
    /// by byte, at every length and alignment around the chunk size.
    #[test]
    fn line_starts_match_a_byte_scan() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200 {
            for density in [2u64, 7, 40] {
                let text: String = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        match seed % density {
                            0 => '\n',
                            1 => 'é',
                            _ => (b'a' + (seed % 26) as u8) as char,
                        }
                    })
                    .collect();
                let mut expected = vec![0];
                expected.extend(text.match_indices('\n').map(|(i, _)| i + 1));
                let f = SourceFile::new("x", text.clone());
                assert_eq!(f.line_starts(), expected.as_slice(), "{text:?}");
                let mut found = Vec::new();
                for_each_byte(text.as_bytes(), b'a', |i| found.push(i));
                let byte_wise: Vec<usize> = text.match_indices('a').map(|(i, _)| i).collect();
                assert_eq!(found, byte_wise);
            }
        }
    }
}
