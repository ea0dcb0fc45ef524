//! A generated corpus of realistic articles, for benchmarks and durability tests.
//!
//! Article `n` of a corpus is a pure function of the corpus seed and `n` (its Read More links
//! aside, which point at articles generated before it), so a test can regenerate what any
//! stored article must contain and compare.

use chrono::{DateTime, Duration, Utc};
use dateline_domain::{
    ArticleId, ArticleStatus, AttributionMode, AuthorId, Headline, Language, NewArticle, SectionId,
    Slug, Source, Store, TagId,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::ServiceError;
use crate::body;

const SECTIONS: [&str; 8] = [
    "Pakistan",
    "World",
    "Business",
    "Sports",
    "Opinion",
    "Analysis",
    "Technology",
    "Health",
];
const TAGS: [&str; 32] = [
    "Afghanistan",
    "China",
    "Russia",
    "United States",
    "India",
    "Iran",
    "Saudi Arabia",
    "CPEC",
    "Cricket",
    "Hockey",
    "Economy",
    "Inflation",
    "Energy",
    "Climate",
    "Floods",
    "Education",
    "Health",
    "Karachi",
    "Lahore",
    "Islamabad",
    "Peshawar",
    "Quetta",
    "Elections",
    "Parliament",
    "Courts",
    "Diplomacy",
    "Trade",
    "Technology",
    "Agriculture",
    "Water",
    "Security",
    "Culture",
];
const AUTHORS: [&str; 20] = [
    "Sana Mirza",
    "Ahmed Raza",
    "Ayesha Khan",
    "Bilal Hussain",
    "Farah Naz",
    "Imran Qureshi",
    "Hina Baloch",
    "Kamran Ali",
    "Mehreen Shah",
    "Usman Tariq",
    "Zainab Malik",
    "Omar Farooq",
    "Nadia Jamil",
    "Hamza Siddiqui",
    "Rabia Anwar",
    "Saad Iqbal",
    "Maryam Aziz",
    "Tariq Mehmood",
    "Sobia Chaudhry",
    "Faisal Abbasi",
];
const ACTORS: [&str; 14] = [
    "Government",
    "State Bank",
    "Senate",
    "Sindh cabinet",
    "Foreign Office",
    "Opposition",
    "Farmers",
    "Traders",
    "Cricket board",
    "Health ministry",
    "Supreme Court",
    "Punjab assembly",
    "Election commission",
    "Planning ministry",
];
const VERBS: [&str; 12] = [
    "unveils",
    "rejects",
    "debates",
    "approves",
    "warns over",
    "pledges support for",
    "criticises",
    "reviews",
    "extends",
    "defends",
    "questions",
    "fast-tracks",
];
const OBJECTS: [&str; 16] = [
    "new budget measures",
    "power tariff increase",
    "flood relief package",
    "trade agreement",
    "security plan",
    "vaccination drive",
    "tax reform",
    "water-sharing talks",
    "IT export targets",
    "railway upgrade",
    "fuel price cut",
    "wheat procurement policy",
    "school enrolment campaign",
    "port expansion",
    "solar energy scheme",
    "transit corridor",
];
const PLACES: [&str; 14] = [
    "Karachi",
    "Lahore",
    "Islamabad",
    "Peshawar",
    "Quetta",
    "Multan",
    "Gwadar",
    "Kabul",
    "Beijing",
    "Moscow",
    "Washington",
    "Riyadh",
    "Tehran",
    "Dhaka",
];
const OPENERS: [&str; 8] = [
    "Officials said on {day} that",
    "According to a statement issued in {place},",
    "In a briefing to reporters,",
    "Speaking at a news conference in {place},",
    "Sources familiar with the matter said",
    "Analysts in {place} noted that",
    "A spokesperson confirmed that",
    "Documents seen by reporters show that",
];
const CLAIMS: [&str; 10] = [
    "the {object} would be presented to parliament within weeks",
    "the {actor} had been consulted before the decision was taken",
    "the {object} was expected to affect millions of households in {place}",
    "the timeline for the {object} remained under discussion",
    "previous attempts at a similar {object} had stalled over funding",
    "the {actor} would publish a detailed plan after consultations",
    "provincial governments had asked for a greater say in the {object}",
    "business groups in {place} welcomed the move but sought clarity",
    "the {object} formed part of a wider agreement with lenders",
    "independent experts urged caution over the costs of the {object}",
];

/// The fixed vocabulary of a corpus, created in the store before any article.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub sections: Vec<SectionId>,
    pub tags: Vec<TagId>,
    pub authors: Vec<AuthorId>,
}

impl Vocabulary {
    /// Creates (or finds) the corpus's sections, tags and authors.
    pub async fn ensure(store: &dyn Store) -> Result<Self, ServiceError> {
        let mut sections = Vec::new();
        for name in SECTIONS {
            sections.push(store.ensure_section(&slug(name), name).await?.id);
        }
        let mut tags = Vec::new();
        for name in TAGS {
            tags.push(store.ensure_tag(&slug(name), name).await?.id);
        }
        let mut authors = Vec::new();
        for name in AUTHORS {
            authors.push(store.ensure_author(&slug(name), name).await?.id);
        }
        Ok(Self {
            sections,
            tags,
            authors,
        })
    }
}

fn slug(name: &str) -> Slug {
    Slug::from_title(name).expect("vocabulary names have letters")
}

/// The text of generated article `n`, without its Read More links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedText {
    pub headline: String,
    pub standfirst: String,
    pub paragraphs: Vec<String>,
    pub section: usize,
    pub tags: Vec<usize>,
    pub authors: Vec<usize>,
    pub agency: Option<&'static str>,
}

/// Article `n` of the corpus with this seed.
pub fn text(seed: u64, n: u64) -> GeneratedText {
    let mut rng = StdRng::seed_from_u64(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let actor = *ACTORS.choose(&mut rng).expect("non-empty");
    let verb = *VERBS.choose(&mut rng).expect("non-empty");
    let object = *OBJECTS.choose(&mut rng).expect("non-empty");
    let place = *PLACES.choose(&mut rng).expect("non-empty");
    let headline = format!("{actor} {verb} {object} in {place}");
    let standfirst = format!(
        "The {} {verb} the {object}, a move with consequences for {place} and beyond.",
        actor.to_lowercase()
    );
    let actor_lower = actor.to_lowercase();
    // Appends `template` with its {day}, {place}, {object} and {actor} filled in, in one pass.
    let fill = |template: &str, rng: &mut StdRng, out: &mut String| {
        let day = *crate::dates::EN_WEEKDAYS.choose(rng).expect("non-empty");
        let place = *PLACES.choose(rng).expect("non-empty");
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').map_or(rest.len() - 1, |c| open + c);
            out.push_str(match &rest[open + 1..close] {
                "day" => day,
                "place" => place,
                "object" => object,
                "actor" => &actor_lower,
                _ => &rest[open..=close],
            });
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
    };
    let count = rng.random_range(4..=30);
    let paragraphs = (0..count)
        .map(|_| {
            let sentences = rng.random_range(2..=4);
            let mut paragraph = String::with_capacity(sentences * 120);
            for i in 0..sentences {
                if i > 0 {
                    paragraph.push(' ');
                }
                fill(
                    OPENERS.choose(&mut rng).expect("non-empty"),
                    &mut rng,
                    &mut paragraph,
                );
                paragraph.push(' ');
                fill(
                    CLAIMS.choose(&mut rng).expect("non-empty"),
                    &mut rng,
                    &mut paragraph,
                );
                paragraph.push('.');
            }
            paragraph
        })
        .collect();
    let section = rng.random_range(0..SECTIONS.len());
    let mut tags: Vec<usize> = (0..rng.random_range(1..=4))
        .map(|_| rng.random_range(0..TAGS.len()))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    let authors = match rng.random_range(0..10) {
        0..=2 => vec![],
        3..=8 => vec![rng.random_range(0..AUTHORS.len())],
        _ => {
            let a = rng.random_range(0..AUTHORS.len());
            vec![a, (a + 1) % AUTHORS.len()]
        }
    };
    let agency = match rng.random_range(0..4) {
        0 => Some("APP"),
        1 => Some("Reuters"),
        _ => None,
    };
    GeneratedText {
        headline,
        standfirst,
        paragraphs,
        section,
        tags,
        authors,
        agency,
    }
}

/// Where Read More blocks go in article `n`: (paragraph index, how many articles back).
fn read_more_plan(seed: u64, n: u64, paragraphs: usize) -> Vec<(usize, u64)> {
    let mut rng = StdRng::seed_from_u64(seed.rotate_left(17) ^ n);
    let links = rng.random_range(0..=3usize).min(paragraphs / 3);
    let mut plan: Vec<(usize, u64)> = (0..links)
        .map(|_| (rng.random_range(1..paragraphs), rng.random_range(1..=50u64)))
        .collect();
    plan.sort_unstable();
    plan.dedup_by_key(|p| p.0);
    plan
}

/// The body source of article `n`, with Read More blocks pointing at `earlier` ids (oldest first).
pub fn body_source(
    seed: u64,
    n: u64,
    text: &GeneratedText,
    earlier: &dyn Fn(u64) -> Option<ArticleId>,
) -> String {
    let plan = read_more_plan(seed, n, text.paragraphs.len());
    let mut out = String::new();
    for (i, paragraph) in text.paragraphs.iter().enumerate() {
        for (_, back) in plan.iter().filter(|(at, _)| *at == i) {
            if let Some(id) = n.checked_sub(*back).and_then(earlier) {
                out.push_str(&format!("::: read-more {id}\n\n"));
            }
        }
        out.push_str(paragraph);
        out.push_str("\n\n");
    }
    out
}

/// What a corpus run is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct CorpusPlan {
    pub seed: u64,
    /// Articles to generate.
    pub count: u64,
    /// Articles per transaction.
    pub batch: usize,
    /// Publication times spread evenly over this span, ending at `until`.
    pub span: Duration,
    pub until: DateTime<Utc>,
}

/// Generates the corpus into `store`, calling `committed(total)` after each batch is durable.
pub async fn generate(
    store: &dyn Store,
    plan: CorpusPlan,
    committed: &mut dyn FnMut(u64),
) -> Result<u64, ServiceError> {
    let vocabulary = Vocabulary::ensure(store).await?;
    let mut ids: Vec<ArticleId> = Vec::with_capacity(usize::try_from(plan.count).unwrap_or(0));
    let step = plan.span.num_milliseconds() / i64::try_from(plan.count.max(1)).unwrap_or(i64::MAX);
    let start = plan.until - plan.span;
    let mut n = 0;
    while n < plan.count {
        let end = (n + plan.batch as u64).min(plan.count);
        let make = |i: u64| {
            let published = start + Duration::milliseconds(step * i64::try_from(i).unwrap_or(0));
            new_article(plan.seed, i, &vocabulary, published, &|k| {
                ids.get(k as usize).copied()
            })
        };
        // Rendering is the costly part: spread each batch over the cores.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let per_thread = (end - n).div_ceil(threads).max(1);
        let batch: Vec<NewArticle> = std::thread::scope(|scope| {
            let parts: Vec<_> = (n..end)
                .step_by(per_thread as usize)
                .map(|from| {
                    let to = (from + per_thread).min(end);
                    scope.spawn(move || (from..to).map(make).collect::<Vec<_>>())
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().expect("rendering does not panic"))
                .collect()
        });
        ids.extend(store.insert_articles(&batch).await?);
        n = end;
        committed(n);
    }
    Ok(n)
}

/// Article `n` ready to store.
pub fn new_article(
    seed: u64,
    n: u64,
    vocabulary: &Vocabulary,
    published_at: DateTime<Utc>,
    earlier: &dyn Fn(u64) -> Option<ArticleId>,
) -> NewArticle {
    let text = text(seed, n);
    let source = body_source(seed, n, &text, earlier);
    let blocks = body::parse(&source).expect("generated bodies are well-formed");
    let targets: Vec<ArticleId> = blocks
        .iter()
        .filter_map(|b| match b {
            body::Block::ReadMore {
                reference: body::Reference::Id(id),
                ..
            } => Some(*id),
            _ => None,
        })
        .collect();
    NewArticle {
        slug: corpus_slug(&text.headline, n),
        headline: Headline::parse(&text.headline).expect("generated headlines are valid"),
        standfirst: text.standfirst,
        body_html: body::render(&blocks, &targets),
        body: source,
        section: vocabulary.sections[text.section],
        tags: text.tags.iter().map(|&t| vocabulary.tags[t]).collect(),
        authors: text
            .authors
            .iter()
            .map(|&a| vocabulary.authors[a])
            .collect(),
        source: text
            .agency
            .map(|agency| Source::single(agency, AttributionMode::AdditionalInputs)),
        status: ArticleStatus::Published,
        language: Language::english(),
        published_at: Some(published_at),
        created_at: published_at,
        updated_at: published_at,
    }
}

/// Generated slugs carry the article's number, so they never collide and tests can find `n`.
pub fn corpus_slug(headline: &str, n: u64) -> Slug {
    let base = Slug::from_title(headline).expect("generated headlines have letters");
    Slug::parse(&format!(
        "{}-g{n}",
        &base.as_str()[..base.as_str().len().min(100)].trim_end_matches('-')
    ))
    .expect("generated slug is valid")
}

/// The article number in a generated slug.
pub fn number_from_slug(slug: &Slug) -> Option<u64> {
    slug.as_str().rsplit_once("-g")?.1.parse().ok()
}

/// Names of the corpus vocabulary, for tests that check stored articles.
pub fn section_name(i: usize) -> &'static str {
    SECTIONS[i]
}
pub fn tag_name(i: usize) -> &'static str {
    TAGS[i]
}
pub fn author_name(i: usize) -> &'static str {
    AUTHORS[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_number_give_the_same_article() {
        assert_eq!(text(7, 123), text(7, 123));
        assert_ne!(text(7, 123), text(7, 124));
        let t = text(1, 5);
        assert!((4..=30).contains(&t.paragraphs.len()));
    }

    #[test]
    fn slugs_carry_the_number() {
        let slug = corpus_slug("Senate approves tax reform in Quetta", 912);
        assert_eq!(slug.as_str(), "senate-approves-tax-reform-in-quetta-g912");
        assert_eq!(number_from_slug(&slug), Some(912));
    }
}
