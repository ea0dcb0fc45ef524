//! The bytes under the XML parser: a buffered reader that counts lines and columns for error
//! messages and refuses to hand the parser more than a budget of bytes for one event.
//!
//! The budget is what keeps memory flat: quick-xml gathers each event (a text run, a CDATA
//! section, a tag) whole into one buffer, so a 2 GB CDATA section would otherwise become a 2 GB
//! buffer. With the budget spent the source answers with an I/O error, which the reader turns
//! into [`crate::WxrError::FieldTooLarge`].

use std::io::{self, BufRead, Read};

use crate::error::Position;

/// The size of the buffer between the underlying reader and the parser.
pub(crate) const CHUNK: usize = 64 * 1024;

pub(crate) struct Source<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Bytes handed to the parser so far, and where that is.
    at: Position,
    /// Bytes the parser may still take for the current event.
    budget: usize,
    event_limit: usize,
    /// Whether the budget ran out: the I/O error the parser reports is ours.
    pub over_budget: bool,
    /// Whether the underlying reader said end of file.
    pub eof: bool,
}

impl<R: BufRead> Source<R> {
    pub fn new(inner: R, event_limit: usize) -> Self {
        Source {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            filled: 0,
            at: Position {
                line: 1,
                column: 1,
                byte: 0,
            },
            budget: event_limit,
            event_limit,
            over_budget: false,
            eof: false,
        }
    }

    /// Where the next byte the parser takes is.
    pub fn position(&self) -> Position {
        self.at
    }

    /// Starts the budget of a new event.
    pub fn new_event(&mut self) {
        self.budget = self.event_limit;
    }

    pub fn buffer_bytes(&self) -> usize {
        self.buf.len()
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.pos < self.filled || self.eof {
            return Ok(());
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.pos = 0;
                    self.filled = 0;
                    return Ok(());
                }
                Ok(n) => {
                    self.pos = 0;
                    self.filled = n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: BufRead> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.fill()?;
        let available = self.filled - self.pos;
        if available > 0 && self.budget == 0 {
            self.over_budget = true;
            return Err(io::Error::other("one event is larger than the bound"));
        }
        let n = available.min(self.budget);
        Ok(&self.buf[self.pos..self.pos + n])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.filled - self.pos);
        for &b in &self.buf[self.pos..self.pos + amt] {
            if b == b'\n' {
                self.at.line += 1;
                self.at.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.at.column += 1;
            }
        }
        self.at.byte += amt as u64;
        self.pos += amt;
        self.budget = self.budget.saturating_sub(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_counted_in_characters() {
        let mut source = Source::new("ab\nçd\ne".as_bytes(), 100);
        let mut out = Vec::new();
        source.read_to_end(&mut out).unwrap();
        assert_eq!(
            source.position(),
            Position {
                line: 3,
                column: 2,
                byte: 8
            }
        );
    }

    #[test]
    fn the_budget_stops_one_event() {
        let mut source = Source::new(&b"0123456789"[..], 4);
        assert_eq!(source.fill_buf().unwrap(), b"0123");
        source.consume(4);
        assert!(source.fill_buf().is_err());
        assert!(source.over_budget);
        source.new_event();
        assert_eq!(source.fill_buf().unwrap(), b"4567");
    }
}
