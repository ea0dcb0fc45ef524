//! The reader streams: a generated export of many items is read through an iterator, never
//! collected, and what the reader holds depends on the largest record, not on the file.

use std::io::{BufReader, Read};

use dateline_wordpress::{Record, read};

use crate::item_xml;

/// A WXR file of `items` items, generated as it is read (the test does not hold it either).
struct Generated {
    items: u64,
    next: u64,
    pending: Vec<u8>,
    at: usize,
    done: bool,
}

impl Generated {
    fn new(items: u64) -> Self {
        let head = crate::wxr("@@ITEMS@@");
        let head = head.split("@@ITEMS@@").next().unwrap().to_owned();
        Generated {
            items,
            next: 0,
            pending: head.into_bytes(),
            at: 0,
            done: false,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            if self.next < self.items {
                self.next += 1;
                let body = format!(
                    "<!-- wp:paragraph --><p>Story {} of the day, with some words in it.</p><!-- /wp:paragraph -->",
                    self.next
                );
                let extra = "<category domain=\"category\" nicename=\"news\"><![CDATA[News]]></category>\
                    <wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[7]]></wp:meta_value></wp:postmeta>";
                self.pending = item_xml(self.next, &body, extra).into_bytes();
            } else if !self.done {
                self.done = true;
                self.pending = b"</channel>\n</rss>\n".to_vec();
            } else {
                return Ok(0);
            }
            self.at = 0;
        }
        let n = (self.pending.len() - self.at).min(out.len());
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads a generated export, and returns how many items it gave and the reader's peak.
fn stream(items: u64) -> (u64, usize) {
    let mut reader = read(BufReader::new(Generated::new(items)));
    let mut count = 0;
    let mut last_id = 0;
    for record in reader.by_ref() {
        if let Record::Item(item) = record.expect("the generated file reads") {
            count += 1;
            assert_eq!(item.post_id, last_id + 1);
            last_id = item.post_id;
        }
    }
    (count, reader.peak_buffered_bytes())
}

#[test]
fn twenty_thousand_items_stream_in_flat_memory() {
    let (small_count, small_peak) = stream(200);
    let (count, peak) = stream(20_000);
    assert_eq!(small_count, 200);
    assert_eq!(count, 20_000);
    // The read buffer (64 KiB), one event and one record: nothing grows with the file.
    assert!(peak < 128 * 1024, "peak {peak}");
    assert!(
        peak <= small_peak + 1024,
        "{peak} for 20,000 items, {small_peak} for 200"
    );
}
