//! Positions: byte offsets of the compiler and LSP line/character
//! positions, in the encoding negotiated at `initialize` (UTF-16 code units
//! by default, UTF-8 bytes when the client offers them).

use lsp_types::{Position, Range};

/// How `Position::character` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The line starts of one text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset (clamped to the text and back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(next) => next - 1,
        };
        let before = &text[self.starts[line]..offset];
        let character = match enc {
            Encoding::Utf8 => before.len(),
            Encoding::Utf16 => before.encode_utf16().count(),
        };
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize, enc: Encoding) -> Range {
        Range::new(
            self.position(text, start, enc),
            self.position(text, end.max(start), enc),
        )
    }

    /// The byte offset of a position: a line past the end is the end of
    /// the text, a character past the end of its line the end of the line.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map(|e| e - 1)
            .unwrap_or(text.len());
        let line = &text[start..end];
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += match enc {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        end
    }

    /// The range covering the whole text.
    pub fn full_range(&self, text: &str, enc: Encoding) -> Range {
        Range::new(Position::new(0, 0), self.position(text, text.len(), enc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf8_columns() {
        let text = "ab\n\u{e9}\u{1F44B}x\n";
        let idx = LineIndex::new(text);
        // 'x' is after a 2-byte and a 4-byte character: one plus two UTF-16 units.
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(text, x, Encoding::Utf16), Position::new(1, 3));
        assert_eq!(idx.position(text, x, Encoding::Utf8), Position::new(1, 6));
        assert_eq!(idx.offset(text, Position::new(1, 3), Encoding::Utf16), x);
        assert_eq!(idx.offset(text, Position::new(1, 6), Encoding::Utf8), x);
        // Inside the surrogate pair: the start of the character after it.
        assert_eq!(idx.offset(text, Position::new(1, 2), Encoding::Utf16), x);
        assert_eq!(
            idx.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(idx.offset(text, Position::new(0, 99), Encoding::Utf16), 2);
        // Offsets inside a character are moved back to its start.
        assert_eq!(idx.position(text, 4, Encoding::Utf8), Position::new(1, 0));
    }
}
