//! Integration tests: the real app, a fresh database per test, on SQLite and (when reachable, and
//! always under CI) PostgreSQL. One test binary for all of them.

mod harness;

mod browser;
mod cache;
mod checkers;
mod cli;
mod comments;
mod corpus;
mod crash;
mod embeds;
mod errors;
mod fronts;
mod hostile_input;
mod hostile_traffic;
mod metrics;
mod newsroom_access;
mod newsroom_accounts;
mod newsroom_articles;
mod newsroom_browser;
mod newsroom_cli;
mod newsroom_forms;
mod newsroom_media;
mod newsroom_settings;
mod nodes;
mod page_checks;
mod pages;
mod portable;
mod related;
mod revision_limits;
mod search;
mod search_and_pins;
mod seed_page;
mod sign_in_abuse;
mod syndication;
mod wire_attribution;
mod wire_browser;
mod wire_desk;
mod wire_ingest;
mod wire_polling;
mod wordpress_import;
mod workflow_steps;
