//! Words: how text (English or Urdu) is cut into searchable tokens, how a reader's query is read,
//! and how a snippet with the matched words is cut from an article.
//!
//! One tokenizer serves indexing and querying, so a word matches whatever form it was written in:
//! lower-cased, Latin accents folded, and the letters Unicode encodes more than once in Arabic
//! script brought to one form (Arabic and Urdu yeh, kaf and heh), with diacritics, tatweel and
//! zero-width joiners dropped.

use dateline_domain::SnippetPart;
use tantivy::tokenizer::{
    AsciiFoldingFilter, RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "dateline";
/// The name of the word-run analyzer (see [`ShingleTokenizer`]).
pub const SHINGLE_ANALYZER: &str = "dateline-shingles";

/// The analyzer for every text field and every query.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzer of the shingle fields: each token is two or three neighbouring words.
pub fn shingle_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(ShingleTokenizer::default())
}

/// The term a shingle field holds for these neighbouring (normalised) words. Words never
/// contain a space, so the run is unambiguous.
pub fn shingle(words: &[&str]) -> String {
    words.join(" ")
}

/// The normalised tokens of `text`, with their byte offsets in `text`.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().clone());
    }
    out
}

/// Marks and joiners that do not change which word is written: Arabic-script diacritics (harakat,
/// Quranic marks), tatweel, zero-width (non-)joiners and Latin combining accents.
fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0610}'..='\u{061A}'
        | '\u{0640}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{08D3}'..='\u{08FF}'
        | '\u{200C}'
        | '\u{200D}')
}

/// One form for letters written in several: Arabic yeh and alef maksura become Farsi/Urdu yeh,
/// Arabic kaf becomes keheh, every heh becomes Urdu heh goal; Arabic-Indic digits become ASCII.
fn fold_letter(c: char) -> char {
    match c {
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        '\u{0643}' => '\u{06A9}',
        '\u{0647}' | '\u{06BE}' | '\u{06D5}' | '\u{06C0}' => '\u{06C1}',
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => c,
    }
}

/// Cuts text into runs of letters and digits (marks inside a word stay inside it) and normalises
/// each run.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    tokens: Vec<Token>,
}

pub struct WordStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.tokens.clear();
        let mut word = String::new();
        let mut start = None;
        let mut position = 0;
        let mut flush = |word: &mut String, start: &mut Option<usize>, end: usize| {
            if let Some(from) = start.take()
                && !word.is_empty()
            {
                self.tokens.push(Token {
                    offset_from: from,
                    offset_to: end,
                    position,
                    text: std::mem::take(word),
                    position_length: 1,
                });
                position += 1;
            }
            word.clear();
        };
        for (i, c) in text.char_indices() {
            if is_ignorable(c) {
                if start.is_some() {
                    continue;
                }
            } else if c.is_alphanumeric() {
                start.get_or_insert(i);
                word.extend(fold_letter(c).to_lowercase());
            } else {
                flush(&mut word, &mut start, i);
            }
        }
        flush(&mut word, &mut start, text.len());
        WordStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Emits every run of two and of three neighbouring words of the [`analyzer`]'s output as one
/// token, at the position of the run's first word. A phrase of two or three words is then one
/// term lookup instead of a walk through the positions of common words, and a longer phrase is a
/// phrase of triples, whose postings are far shorter than those of its words.
#[derive(Clone)]
pub struct ShingleTokenizer {
    words: TextAnalyzer,
    tokens: Vec<Token>,
}

impl Default for ShingleTokenizer {
    fn default() -> Self {
        ShingleTokenizer {
            words: analyzer(),
            tokens: Vec::new(),
        }
    }
}

impl Tokenizer for ShingleTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.tokens.clear();
        let mut stream = self.words.token_stream(text);
        // The two words before this one, while they are its direct neighbours.
        let mut before: Vec<Token> = Vec::with_capacity(3);
        while stream.advance() {
            let token = stream.token();
            // A word dropped in between (too long to index) breaks the run.
            if before
                .last()
                .is_some_and(|last| last.position + 1 != token.position)
            {
                before.clear();
            }
            before.push(token.clone());
            if before.len() > 3 {
                before.remove(0);
            }
            let n = before.len();
            if n >= 2 {
                self.tokens.push(run_token(&before[n - 2..]));
            }
            if n == 3 {
                self.tokens.push(run_token(&before[..]));
            }
        }
        // Tokens must come in position order; each run sits at its first word.
        self.tokens.sort_by_key(|t| t.position);
        WordStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

fn run_token(run: &[Token]) -> Token {
    let words: Vec<&str> = run.iter().map(|t| t.text.as_str()).collect();
    Token {
        offset_from: run[0].offset_from,
        offset_to: run[run.len() - 1].offset_to,
        position: run[0].position,
        text: shingle(&words),
        position_length: 1,
    }
}

/// The longest query text read; the rest is ignored (a 10 KB query is not an error).
const MAX_QUERY_CHARS: usize = 400;
/// The most clauses one query keeps.
const MAX_CLAUSES: usize = 12;
/// Prefixes shorter than this are searched as whole words (`a*` would match everything).
const MIN_PREFIX_CHARS: usize = 2;

/// One thing a query asks for, in normalised tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    Word(String),
    /// Words in this order, next to each other.
    Phrase(Vec<String>),
    /// Any word starting with this.
    Prefix(String),
}

/// A reader's query, understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Every one must match.
    pub required: Vec<Clause>,
    /// None may match (`-word`).
    pub excluded: Vec<Clause>,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }
}

/// Reads a query: words (all required), `"quoted phrases"` (an unclosed quote runs to the end),
/// `prefix*`, `-excluded`. Punctuation, operators and symbols that make no word are ignored, so
/// every input is a valid query, possibly an empty one.
pub fn parse_query(text: &str) -> ParsedQuery {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let mut query = ParsedQuery::default();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            add_clause(&mut query.required, phrase(part, false));
            continue;
        }
        for chunk in part.split_whitespace() {
            if matches!(chunk, "AND" | "OR" | "NOT" | "&&" | "||") {
                continue;
            }
            let (excluded, chunk) = match chunk.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, chunk),
            };
            let prefix = chunk.ends_with('*');
            let target = if excluded {
                &mut query.excluded
            } else {
                &mut query.required
            };
            add_clause(target, phrase(chunk, prefix));
        }
    }
    query
}

fn add_clause(list: &mut Vec<Clause>, clause: Option<Clause>) {
    if let Some(clause) = clause
        && list.len() < MAX_CLAUSES
        && !list.contains(&clause)
    {
        list.push(clause);
    }
}

/// The clause for a piece of text: nothing, a word, a prefix or a phrase.
fn phrase(text: &str, prefix: bool) -> Option<Clause> {
    let mut words: Vec<String> = tokens(text).into_iter().map(|t| t.text).collect();
    match words.len() {
        0 => None,
        1 => {
            let word = words.remove(0);
            Some(if prefix && word.chars().count() >= MIN_PREFIX_CHARS {
                Clause::Prefix(word)
            } else {
                Clause::Word(word)
            })
        }
        _ => Some(Clause::Phrase(words)),
    }
}

/// The text of sanitised HTML: tags and comments dropped, the common entities decoded, block ends
/// turned into spaces.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        decode_into(&rest[..start], &mut out);
        let after = &rest[start..];
        let end = if after.starts_with("<!--") {
            after.find("-->").map(|e| e + 3)
        } else {
            after.find('>').map(|e| e + 1)
        };
        let Some(end) = end else {
            rest = "";
            break;
        };
        if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
        rest = &after[end..];
    }
    decode_into(rest, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let decoded = after.find(';').and_then(|semi| {
            let entity = &after[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Whether a normalised token is one the query asked for.
pub struct Matcher {
    words: Vec<String>,
    prefixes: Vec<String>,
}

impl Matcher {
    pub fn new(query: &ParsedQuery) -> Self {
        let mut words = Vec::new();
        let mut prefixes = Vec::new();
        for clause in &query.required {
            match clause {
                Clause::Word(w) => words.push(w.clone()),
                Clause::Phrase(ws) => words.extend(ws.iter().cloned()),
                Clause::Prefix(p) => prefixes.push(p.clone()),
            }
        }
        Self { words, prefixes }
    }

    /// Which of the query's words or prefixes `token` is (its index), if any.
    fn which(&self, token: &str) -> Option<usize> {
        self.words.iter().position(|w| w == token).or_else(|| {
            self.prefixes
                .iter()
                .position(|p| token.starts_with(p.as_str()))
                .map(|i| i + self.words.len())
        })
    }
}

/// About how long a snippet is, in bytes of text.
const SNIPPET_LENGTH: usize = 240;
/// How much text comes before the first matched word.
const SNIPPET_LEAD: usize = 50;

/// The passage of `text` with the most distinct matched words, cut at spaces, matched words
/// marked; `None` when nothing in `text` matches.
pub fn snippet(text: &str, matcher: &Matcher) -> Option<Vec<SnippetPart>> {
    let matches: Vec<(usize, usize, usize)> = tokens(text)
        .into_iter()
        .filter_map(|t| {
            matcher
                .which(&t.text)
                .map(|w| (t.offset_from, t.offset_to, w))
        })
        .collect();
    let mut best = (0, 0);
    for (i, &(from, _, _)) in matches.iter().enumerate() {
        let mut seen: Vec<usize> = matches[i..]
            .iter()
            .take_while(|&&(_, to, _)| to - from <= SNIPPET_LENGTH - SNIPPET_LEAD)
            .map(|&(_, _, w)| w)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() > best.1 {
            best = (i, seen.len());
        }
    }
    let first = matches.get(best.0)?;
    let start = if first.0 <= SNIPPET_LEAD {
        0
    } else {
        let lead = floor_boundary(text, first.0 - SNIPPET_LEAD);
        text[lead..first.0]
            .find(' ')
            .map_or(first.0, |space| lead + space + 1)
    };
    let end = if text.len() - start <= SNIPPET_LENGTH {
        text.len()
    } else {
        let limit = floor_boundary(text, start + SNIPPET_LENGTH);
        let cut = text[start..limit].rfind(' ').map_or(limit, |s| start + s);
        cut.max(first.1)
    };
    let mut parts = Vec::new();
    let mut push = |text: &str, marked: bool| {
        if !text.is_empty() {
            parts.push(SnippetPart {
                text: text.to_owned(),
                marked,
            });
        }
    };
    if start > 0 {
        push("… ", false);
    }
    let mut at = start;
    for &(from, to, _) in matches.iter().filter(|m| m.0 >= start && m.1 <= end) {
        push(&text[at..from], false);
        push(&text[from..to], true);
        at = to;
    }
    push(&text[at..end], false);
    if end < text.len() {
        push(" …", false);
    }
    Some(parts)
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Words too common in English to say what an article is about.
pub const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "against", "all", "also", "an", "and", "any", "are", "as",
    "at", "be", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "during", "each", "for", "from", "further", "had", "has", "have", "he", "her",
    "here", "his", "how", "i", "if", "in", "into", "is", "it", "its", "last", "more", "most",
    "new", "no", "not", "now", "of", "on", "one", "only", "or", "other", "our", "out", "over",
    "said", "says", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "to", "two", "under", "until",
    "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "will",
    "with", "would", "year", "years", "you",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn urdu_variant_letters_and_marks_fold_to_one_form() {
        // Arabic yeh and kaf, Urdu yeh and keheh: the same word.
        assert_eq!(words("پاكستاني"), words("پاکستانی"));
        // Alef maksura, heh forms, a diacritic and tatweel.
        assert_eq!(words("عيسى"), words("عیسی"));
        assert_eq!(words("مدرسه"), words("مدرسہ"));
        assert_eq!(words("بھارت"), words("بہارت"));
        assert_eq!(words("كِتـــاب"), words("کتاب"));
        assert_eq!(words("۲۰۲۴"), ["2024"]);
    }

    #[test]
    fn english_words_are_lower_cased_and_folded_with_offsets() {
        let t = tokens("Café  Pakistan's");
        let texts: Vec<_> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["cafe", "pakistan", "s"]);
        assert_eq!((t[1].offset_from, t[1].offset_to), (7, 15));
    }

    #[test]
    fn shingles_are_runs_of_two_and_three_words_at_the_first_word_s_position() {
        let shingles = |text: &str| {
            let mut analyzer = shingle_analyzer();
            let mut stream = analyzer.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                let t = stream.token();
                out.push((t.text.clone(), t.position));
            }
            out
        };
        let found = shingles("Power tariff, increase. Now");
        let expected = [
            ("power tariff", 0),
            ("power tariff increase", 0),
            ("tariff increase", 1),
            ("tariff increase now", 1),
            ("increase now", 2),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (text, position) in expected {
            assert!(
                found.contains(&(text.to_owned(), position)),
                "{text} at {position} in {found:?}"
            );
        }
        assert!(
            found.windows(2).all(|w| w[0].1 <= w[1].1),
            "in position order: {found:?}"
        );
        let long = "x".repeat(80);
        assert_eq!(
            shingles(&format!("state {long} bank of pakistan")),
            [
                ("bank of".to_owned(), 2),
                ("bank of pakistan".to_owned(), 2),
                ("of pakistan".to_owned(), 3)
            ],
            "a dropped word breaks the run"
        );
        assert!(shingles("one").is_empty());
    }

    #[test]
    fn queries_read_words_phrases_prefixes_and_exclusions() {
        let q = parse_query(r#"Pakistan "stream of water" negoti* -cricket"#);
        assert_eq!(
            q.required,
            [
                Clause::Word("pakistan".into()),
                Clause::Phrase(vec!["stream".into(), "of".into(), "water".into()]),
                Clause::Prefix("negoti".into()),
            ]
        );
        assert_eq!(q.excluded, [Clause::Word("cricket".into())]);
    }

    #[test]
    fn odd_queries_are_read_without_failing() {
        assert!(parse_query("").is_empty());
        assert!(parse_query("  AND OR -- * \" \" ()").is_empty());
        assert_eq!(
            parse_query("\"pakistan stream").required,
            [Clause::Phrase(vec!["pakistan".into(), "stream".into()])],
            "an unclosed quote runs to the end"
        );
        assert_eq!(parse_query("a*").required, [Clause::Word("a".into())]);
        let long = "word ".repeat(2_000) + &"x".repeat(10_000);
        assert_eq!(parse_query(&long).required, [Clause::Word("word".into())]);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(parse_query(&many).required.len(), MAX_CLAUSES);
        assert!(parse_query("\u{0}\u{200B}\u{FEFF}🙂").is_empty());
    }

    #[test]
    fn plain_text_drops_tags_and_decodes_entities() {
        assert_eq!(
            plain_text(
                "<p>Tom &amp; Jerry&#39;s</p><!--dateline:read-more:4-->\n<p>x &lt;y&gt; &bogus</p>"
            ),
            "Tom & Jerry's x <y> &bogus"
        );
    }

    #[test]
    fn snippets_mark_matched_words_and_cut_at_spaces() {
        let query = parse_query("pakistan strea*");
        let matcher = Matcher::new(&query);
        let text = format!(
            "{} Pakistan opened the stream today. {}",
            "Filler words here. ".repeat(10),
            "More filler. ".repeat(30)
        );
        let parts = snippet(&text, &matcher).expect("a snippet");
        let marked: Vec<_> = parts
            .iter()
            .filter(|p| p.marked)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, ["Pakistan", "stream"]);
        assert_eq!(parts.first().unwrap().text, "… ");
        assert_eq!(parts.last().unwrap().text, " …");
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(joined.len() <= SNIPPET_LENGTH + 10, "{joined}");
        assert_eq!(snippet("nothing here", &matcher), None);
    }
}
