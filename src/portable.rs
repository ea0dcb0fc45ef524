//! `dateline backup`, `restore`, `export` and `import`: moving a publication in and out. A backup
//! is the database and the media as they are (for putting back after a disaster); an export is
//! the publication in a documented format (for moving between databases or installations, or
//! reading with other tools). The work lives in `dateline_store::backup` and the services'
//! `backup`, `export` and `import` modules; this is the wiring and what the operator is told.

use std::path::Path;

use anyhow::{Context, bail};
use dateline_domain::{Counts, PortableStore, WhenStored};
use dateline_services::backup::{self, MEDIA, Manifest};
use dateline_services::import::{ImportError, ImportOptions, ImportReport, import_file};
use dateline_services::portable::TYPES;
use dateline_services::wordpress::{Survey, Uploads, WordpressReport};
use dateline_store::Backend;
use dateline_store::backup::{restore_database, target_state};
use tokio::io::AsyncWriteExt;

use crate::cli::{BackupArgs, ExportArgs, ImportArgs, ImportFrom, RestoreArgs, WordpressArgs};
use crate::config::Config;

fn kind(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// "12 articles, 40 revisions, 3 accounts, 5 images".
fn summary(c: &Counts) -> String {
    format!(
        "{} articles, {} revisions, {} corrections, {} sections, {} tags, {} bylines, {} accounts, {} images, {} redirects",
        c.articles,
        c.revisions,
        c.corrections,
        c.sections,
        c.tags,
        c.authors,
        c.users,
        c.images,
        c.redirects
    )
}

pub async fn backup(config: &Config, args: &BackupArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    let state = target_state(&config.database)
        .await
        .with_context(|| format!("while looking at {}", config.database))?;
    if state.counts.is_none() {
        bail!(
            "{} holds no Dateline publication yet: nothing to back up",
            config.database
        );
    }
    let store = config.open_store().await?;
    backup::prepare_backup_dir(dir).await?;
    let started = chrono::Utc::now();
    // The database first: every image it records was on disk before its row was written, so
    // the media copied afterwards include them all.
    let copy = store
        .copy_database(dir)
        .await
        .with_context(|| format!("while copying {}", config.database))?;
    store.close().await;
    let media = backup::copy_media(&config.data_dir.join(MEDIA), &dir.join(MEDIA))
        .await
        .context("while copying the media")?;
    let manifest = Manifest::new(
        kind(config.database.backend()),
        copy.file,
        copy.method,
        copy.counts,
        media,
        started,
    );
    backup::write_manifest(dir, &manifest).await?;
    println!(
        "backed up {} ({}) and {} media files ({} bytes) to {}: {}",
        config.database,
        copy.method,
        media.files,
        media.bytes,
        dir.display(),
        summary(&copy.counts)
    );
    Ok(())
}

pub async fn restore(config: &Config, args: &RestoreArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    let manifest = backup::read_manifest(dir).await?;
    let here = kind(config.database.backend());
    if manifest.database.kind != here {
        bail!(
            "{} holds a {} backup and {} is {here}: restore it into a {} database, or move the publication between the two with export and import",
            dir.display(),
            manifest.database.kind,
            config.database,
            manifest.database.kind
        );
    }
    let file = dir.join(&manifest.database.file);
    if !file.is_file() {
        bail!(
            "{} is missing from the backup in {}",
            manifest.database.file,
            dir.display()
        );
    }
    config.prepare_dirs()?;
    let media_dir = config.data_dir.join(MEDIA);
    let state = target_state(&config.database)
        .await
        .with_context(|| format!("while looking at {}", config.database))?;
    let media_in_use = backup::holds_media(&media_dir);
    if (state.holds_data() || media_in_use) && !args.force {
        let what = match (state.counts, state.holds_data()) {
            (Some(counts), true) => format!(
                "{} holds a publication ({})",
                config.database,
                summary(&counts)
            ),
            (None, true) => format!(
                "{} holds {} tables of something else",
                config.database, state.tables
            ),
            _ => format!("{} holds images", media_dir.display()),
        };
        bail!(
            "{what}: a restore would replace it. Give an empty database and data directory, or stop every server using them and run the restore again with --force"
        );
    }
    restore_database(&config.database, &file, state)
        .await
        .with_context(|| {
            format!(
                "while restoring {} into {}",
                file.display(),
                config.database
            )
        })?;
    let media = backup::restore_media(&dir.join(MEDIA), &media_dir)
        .await
        .context("while restoring the media")?;
    // The search index describes what was there before: `serve` builds it afresh.
    let index = config.data_dir.join("search-index");
    if index.exists() {
        std::fs::remove_dir_all(&index)
            .with_context(|| format!("cannot remove the old search index {}", index.display()))?;
    }
    let store = config.open_store().await?;
    let counts = store
        .counts()
        .await
        .context("while counting what was restored")?;
    store.close().await;
    let matches = counts == manifest.counts;
    if !matches {
        bail!(
            "the restored database holds {} but the backup's manifest says it held {}",
            summary(&counts),
            summary(&manifest.counts)
        );
    }
    println!(
        "restored the backup of {} from {} into {}: {}; {} media files ({} bytes)",
        manifest.created_at,
        dir.display(),
        config.database,
        summary(&counts),
        media.files,
        media.bytes
    );
    Ok(())
}

pub async fn export(config: &Config, args: &ExportArgs) -> anyhow::Result<()> {
    let store = config.open_store().await?;
    store.migrate().await.context("while migrating")?;
    let now = chrono::Utc::now();
    if args.out == "-" {
        let mut out = tokio::io::stdout();
        let done = dateline_services::export::export(&store, &mut out, now)
            .await
            .context("while exporting")?;
        store.close().await;
        eprintln!("exported {}", summary(&done.written));
        return Ok(());
    }
    let path = Path::new(&args.out);
    let name = path
        .file_name()
        .with_context(|| format!("--out {} names no file", args.out))?;
    let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let mut file = tokio::fs::File::create(&partial)
        .await
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let written = dateline_services::export::export(&store, &mut file, now).await;
    store.close().await;
    let done = match written {
        Ok(done) => done,
        Err(e) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e).context("while exporting");
        }
    };
    file.flush().await?;
    file.sync_all()
        .await
        .with_context(|| format!("cannot write {}", partial.display()))?;
    drop(file);
    tokio::fs::rename(&partial, path)
        .await
        .with_context(|| format!("cannot move the export to {}", path.display()))?;
    println!("exported {} to {}", summary(&done.written), path.display());
    Ok(())
}

pub async fn import(config: &Config, args: &ImportArgs) -> anyhow::Result<()> {
    let file = match (&args.from, &args.file) {
        (Some(ImportFrom::Wordpress(wordpress)), _) => {
            return import_wordpress(config, wordpress).await;
        }
        (None, Some(file)) => file,
        (None, None) => bail!("name the file to import"),
    };
    let store = config.open_store().await?;
    store.migrate().await.context("while migrating")?;
    let media_dir = config.data_dir.join(MEDIA);
    let spinner = Spinner::new();
    let report_progress = |pass: &'static str, line: u64| spinner.line(pass, line);
    let options = ImportOptions {
        media_dir: &media_dir,
        media_from: args.media.as_deref(),
        dry_run: args.dry_run,
        progress: Some(&report_progress),
        when_stored: WhenStored::Keep,
    };
    let result = import_file(&store, file, options).await;
    spinner.done();
    store.close().await;
    let shown = file.display();
    let report = match result {
        Ok(report) => report,
        Err(ImportError::Invalid(problems)) => {
            for problem in &problems {
                eprintln!("{shown}: {problem}");
            }
            bail!(
                "{} problem(s) in {shown}; nothing was imported",
                problems.len()
            );
        }
        Err(e) => return Err(e).with_context(|| format!("while importing {shown}")),
    };
    if args.dry_run {
        println!(
            "checked {shown} ({} lines): it can be imported",
            report.lines
        );
        return Ok(());
    }
    print_report(&shown.to_string(), &report, &media_dir);
    Ok(())
}

/// How far an import is, on standard error when it is a terminal (nothing otherwise).
struct Spinner(indicatif::ProgressBar);

impl Spinner {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Self(bar)
    }

    fn say(&self, message: String) {
        self.0.set_message(message);
    }

    /// `pass` ("read", "checked", "written") has reached `line` (a record or line number).
    fn line(&self, pass: &str, line: u64) {
        self.say(format!("{pass} {line} records…"));
    }

    fn done(&self) {
        self.0.finish_and_clear();
    }
}

/// `dateline import wordpress FILE.xml`: the WXR file converted, in one streaming pass, into a
/// file of our format beside the database, which is then imported as `dateline import` imports
/// (checked whole first, written in batches, nothing twice).
async fn import_wordpress(config: &Config, args: &WordpressArgs) -> anyhow::Result<()> {
    let shown = args.file.display().to_string();
    let open = || std::fs::File::open(&args.file).with_context(|| format!("cannot open {shown}"));
    let spinner = Spinner::new();
    spinner.say(format!("reading {shown}…"));
    if let Some(uploads) = &args.uploads
        && !uploads.is_dir()
    {
        spinner.done();
        bail!(
            "--uploads {}: not a folder; nothing was imported",
            uploads.display()
        );
    }
    let survey = match dateline_services::wordpress::survey(std::io::BufReader::with_capacity(
        256 * 1024,
        open()?,
    )) {
        Ok(survey) => survey,
        Err(e) => {
            spinner.done();
            bail!("{shown}: {e}; nothing was imported");
        }
    };
    spinner.say(format!("converting {shown}…"));
    let input = open()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let converted = config
        .data_dir
        .join(format!("wordpress-import-{}.jsonl", std::process::id()));
    let media_dir = config.data_dir.join(MEDIA);
    let uploads = args.uploads.as_deref().map(|from| Uploads {
        from,
        media_dir: &media_dir,
        write: !args.dry_run,
    });
    if uploads.is_some() {
        spinner.say(format!(
            "converting {shown} and its {} attachment(s)…",
            survey.attachments.len()
        ));
    }
    let result = convert_wordpress(input, survey, uploads, &converted);
    spinner.done();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_file(&converted);
            bail!("{shown}: {e}; nothing was imported");
        }
    };
    let outcome = import_converted(config, &converted, args.dry_run).await;
    let _ = std::fs::remove_file(&converted);
    if outcome.is_err() {
        // Renditions this run wrote belong to no stored image: the next run writes them again.
        for key in &report.written_images {
            let _ = std::fs::remove_dir_all(media_dir.join(key));
        }
    }
    print_wordpress_report(&shown, &report);
    let imported = outcome?;
    if args.dry_run {
        println!(
            "checked {shown}: it can be imported ({} records)",
            imported.lines
        );
    } else {
        print_report(&shown, &imported, &config.data_dir.join(MEDIA));
    }
    Ok(())
}

fn convert_wordpress(
    input: std::fs::File,
    survey: Survey,
    uploads: Option<Uploads<'_>>,
    converted: &Path,
) -> Result<WordpressReport, dateline_services::wordpress::WordpressError> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(converted)?);
    let report = dateline_services::wordpress::convert_file(
        std::io::BufReader::with_capacity(256 * 1024, input),
        survey,
        uploads,
        &mut out,
        chrono::Utc::now(),
    )?;
    std::io::Write::flush(&mut out)?;
    Ok(report)
}

async fn import_converted(
    config: &Config,
    converted: &Path,
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let store = config.open_store().await?;
    store.migrate().await.context("while migrating")?;
    let media_dir = config.data_dir.join(MEDIA);
    let spinner = Spinner::new();
    let report_progress = |pass: &'static str, line: u64| spinner.line(pass, line);
    let options = ImportOptions {
        media_dir: &media_dir,
        media_from: None,
        dry_run,
        progress: Some(&report_progress),
        // A newer export of the same site brings what changed there since the last run.
        when_stored: WhenStored::UpdateIfNewer,
    };
    let result = import_file(&store, converted, options).await;
    spinner.done();
    store.close().await;
    match result {
        Ok(report) => Ok(report),
        Err(ImportError::Invalid(problems)) => {
            for problem in &problems {
                eprintln!("converted record: {problem}");
            }
            bail!(
                "{} record(s) of the WordPress file could not be imported; nothing was imported",
                problems.len()
            );
        }
        Err(e) => Err(e).context("while importing"),
    }
}

fn print_wordpress_report(file: &str, report: &WordpressReport) {
    println!("read {file}: {}", report.site);
    let mut posts: Vec<_> = report.posts.iter().collect();
    posts.sort();
    for (status, count) in posts {
        println!("  posts ({status}): {count}");
    }
    let mut pages: Vec<_> = report.pages.iter().collect();
    pages.sort();
    for (status, count) in pages {
        println!("  pages ({status}): {count}");
    }
    if report.menu_items > 0 {
        println!("  menu items: {}", report.menu_items);
    }
    println!(
        "  sections: {}, tags: {}, bylines: {}, images: {}, redirects: {}",
        report.sections, report.tags, report.bylines, report.images, report.redirects
    );
    let mut left_out: Vec<_> = report.left_out.iter().collect();
    left_out.sort();
    for (kind, count) in left_out {
        println!("  left out: {count} {kind}");
    }
    let mut comments: Vec<_> = report.comments.iter().collect();
    comments.sort();
    for (status, count) in comments {
        println!("  comments ({status}): {count}");
    }
    for problem in &report.problems {
        println!("  note: {problem}");
    }
}

fn print_report(file: &str, report: &ImportReport, media_dir: &Path) {
    println!("imported {file} ({} lines)", report.lines);
    let in_file_order = TYPES
        .iter()
        .filter_map(|kind| report.tallies.get(kind).map(|tally| (kind, tally)));
    for (kind, tally) in in_file_order {
        let updated = if tally.updated + tally.edited_here > 0 {
            format!(
                ", {} updated, {} kept as edited here",
                tally.updated, tally.edited_here
            )
        } else {
            String::new()
        };
        println!(
            "  {kind}: {} added, {} already there{updated}, {} left out",
            tally.added, tally.already_there, tally.taken
        );
    }
    for (line, what) in &report.edited_here {
        println!(
            "  line {line}: {what} changed in the file, but edited in the newsroom since it was imported: the newsroom's copy kept"
        );
    }
    for (line, what) in &report.taken {
        println!("  line {line}: {what} left out: the database holds another one under its name");
    }
    if report.linked_later > 0 {
        println!(
            "  {} article(s) linked to Read More targets further down the file",
            report.linked_later
        );
    }
    if report.images_without_files > 0 {
        println!(
            "note: {} image(s) are recorded without their files in {}: copy their directories from the old media directory, or import again with --media DIR",
            report.images_without_files,
            media_dir.display()
        );
    }
    if report.tallies.get("user").is_some_and(|t| t.added > 0) {
        println!(
            "note: imported accounts have no password yet: set one with `dateline user reset-password --email E`"
        );
    }
}
