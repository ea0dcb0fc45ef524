//! The publication's settings, for administrators.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dateline_domain::Action;
use dateline_services::ServiceError;
use dateline_services::settings::{self, SettingsInput};
use serde::Deserialize;

use super::session::{CsrfForm, SignedIn};
use super::{AdminError, AdminLayout, Respond, in_words};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: AdminLayout,
    form: SettingsInput,
    error: Option<String>,
    saved: bool,
    /// What links use when the base URL is left empty: the server's address or `--base-url`.
    server_base_url: String,
    /// The server's `--base-url` overrides whatever is set here.
    base_url_is_configured: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    attribution_template: String,
    #[serde(default)]
    attribution_template_agency_only: String,
    #[serde(default)]
    attribution_template_edited: String,
    /// A checkbox: present (`on`) when ticked.
    #[serde(default)]
    show_comments: Option<String>,
}

fn settings_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    form: SettingsInput,
    error: Option<String>,
    saved: bool,
) -> Result<Response, AdminError> {
    SettingsPage {
        layout: AdminLayout::new(state, "Site settings", Some(signed)).at("settings"),
        form,
        error,
        saved,
        server_base_url: state.server_base_url().to_string(),
        base_url_is_configured: state.base_url_is_configured(),
    }
    .respond(status)
}

pub async fn show_settings(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSiteSettings)?;
    let form = SettingsInput::from(state.stored_site().as_ref());
    settings_page(&state, &signed, StatusCode::OK, form, None, false)
}

pub async fn save_settings(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageSiteSettings)?;
    let input = SettingsInput {
        name: form.name,
        short_name: form.short_name,
        base_url: form.base_url,
        time_zone: form.time_zone,
        locale: form.locale,
        attribution_template: form.attribution_template,
        attribution_template_agency_only: form.attribution_template_agency_only,
        attribution_template_edited: form.attribution_template_edited,
        show_comments: form.show_comments.is_some(),
    };
    match settings::save_settings(state.store.as_ref(), &input).await {
        Ok(site) => {
            tracing::info!(by = %signed.user.id, "site settings changed");
            state.set_site(site);
            let form = SettingsInput::from(state.stored_site().as_ref());
            settings_page(&state, &signed, StatusCode::OK, form, None, true)
        }
        Err(ServiceError::Invalid(problems)) => {
            let error = in_words(&problems);
            settings_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                input,
                Some(error),
                false,
            )
        }
        Err(e) => Err(e.into()),
    }
}
