//! Search latency over a generated corpus: opens (building if needed) the index of a database,
//! runs a mix of reader queries and prints p50/p95 latencies and the index size.
//!
//! `cargo run --release -p dateline-search --example search_bench -- DATABASE_URL INDEX_DIR [ROUNDS]`
//! (`bench/search.sh` runs it over 10k, 100k and 1M articles).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use dateline_domain::{ArticleId, ArticleStore, SearchIndex, SearchQuery, SearchSort, Slug};
use dateline_search::{IndexLocation, SearchEngine};
use dateline_store::{DatabaseUrl, SqlStore};

/// The query mix, in the generated corpus's vocabulary: (class, query).
fn mix() -> Vec<(&'static str, SearchQuery)> {
    let text = |t: &str| SearchQuery {
        text: t.to_owned(),
        limit: 10,
        ..SearchQuery::default()
    };
    let newest = |t: &str| SearchQuery {
        sort: SearchSort::Newest,
        ..text(t)
    };
    let slug = |s: &str| Some(Slug::parse(s).expect("slug"));
    let mut queries = Vec::new();
    for word in [
        "budget",
        "gwadar",
        "tariff",
        "vaccination",
        "senate",
        "railway",
    ] {
        queries.push(("one word", text(word)));
    }
    for words in [
        "flood relief",
        "trade agreement",
        "karachi tariff",
        "solar scheme",
        "wheat procurement",
        "moscow security",
    ] {
        queries.push(("two words", text(words)));
    }
    for phrase in [
        "\"power tariff increase\"",
        "\"flood relief package\"",
        "\"state bank\"",
        "\"security plan\"",
        "\"port expansion\"",
        "\"fuel price cut\"",
    ] {
        queries.push(("phrase", text(phrase)));
    }
    for prefix in [
        "vacc*", "procure*", "consult*", "tarif*", "expan*", "enrol*",
    ] {
        queries.push(("prefix", text(prefix)));
    }
    let until = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single();
    let from = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
    queries.push((
        "filtered",
        SearchQuery {
            section: slug("sports"),
            ..text("cricket board")
        },
    ));
    queries.push((
        "filtered",
        SearchQuery {
            tag: slug("cpec"),
            ..text("port")
        },
    ));
    queries.push((
        "filtered",
        SearchQuery {
            author: slug("sana-mirza"),
            ..text("budget")
        },
    ));
    queries.push((
        "filtered",
        SearchQuery {
            from,
            until,
            ..text("flood relief")
        },
    ));
    queries.push((
        "filtered",
        SearchQuery {
            section: slug("business"),
            from,
            until,
            ..text("tax reform")
        },
    ));
    queries.push((
        "filtered",
        SearchQuery {
            tag: slug("karachi"),
            ..text("\"railway upgrade\"")
        },
    ));
    for words in [
        "budget",
        "flood relief",
        "\"trade agreement\"",
        "vacc*",
        "karachi",
        "senate approves",
    ] {
        queries.push(("newest first", newest(words)));
    }
    queries
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [database, index_dir, rest @ ..] = args.as_slice() else {
        return Err("usage: search_bench DATABASE_URL INDEX_DIR [ROUNDS]".into());
    };
    let rounds: usize = rest.first().map_or(Ok(20), |r| r.parse())?;
    let store = SqlStore::connect(&DatabaseUrl::parse(database)?).await?;
    store.migrate().await?;
    let started = Instant::now();
    let engine = SearchEngine::open(
        IndexLocation::Directory(index_dir.into()),
        Arc::new(store.clone()),
    )
    .await?;
    println!(
        "index ready in {:.1} s: {} articles, {:.1} MB",
        started.elapsed().as_secs_f64(),
        engine.len(),
        dir_size(Path::new(index_dir)) as f64 / 1e6
    );
    let queries = mix();
    for (_, query) in &queries {
        engine.search(query).await?;
    }
    let mut all = Vec::new();
    let mut by_class: Vec<(&str, Vec<Duration>)> = Vec::new();
    for _ in 0..rounds {
        for (class, query) in &queries {
            let start = Instant::now();
            let results = engine.search(query).await?;
            let took = start.elapsed();
            std::hint::black_box(results);
            all.push(took);
            match by_class.iter_mut().find(|(c, _)| c == class) {
                Some((_, list)) => list.push(took),
                None => by_class.push((class, vec![took])),
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<14} {:>8} {:>9} {:>9}",
        "queries", "count", "p50 ms", "p95 ms"
    );
    for (class, mut list) in by_class {
        list.sort();
        println!(
            "{:<14} {:>8} {:>9.2} {:>9.2}",
            class,
            list.len(),
            ms(percentile(&list, 0.5)),
            ms(percentile(&list, 0.95))
        );
    }
    all.sort();
    println!(
        "{:<14} {:>8} {:>9.2} {:>9.2}",
        "all",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95))
    );
    // Related lists: what computing one costs (at publication, or after a first read), for 100
    // articles spread over the archive.
    let last = store.max_article_id().await?.map_or(0, |id| id.0);
    let mut related = Vec::new();
    for k in 0..100 {
        let id = ArticleId(1 + k * last / 100);
        let Some(article) = store.article_by_id(id).await? else {
            continue;
        };
        let start = Instant::now();
        let hits = engine.related(&article, 6).await?;
        related.push(start.elapsed());
        std::hint::black_box(hits);
    }
    related.sort();
    if !related.is_empty() {
        println!(
            "{:<14} {:>8} {:>9.2} {:>9.2}",
            "related list",
            related.len(),
            ms(percentile(&related, 0.5)),
            ms(percentile(&related, 0.95))
        );
    }
    store.close().await;
    Ok(())
}
