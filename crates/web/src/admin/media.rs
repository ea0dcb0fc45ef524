//! Images: the upload form and library (`/admin/media`), an article's featured image, and the
//! public files under `/media/`, cached for a year (a rendition never changes once made).

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dateline_domain::{Action, ArticleId, ImageId};
use dateline_services::ServiceError;
use dateline_services::media::{self, MAX_UPLOAD_BYTES, Upload};
use serde::Deserialize;

use super::session::{CsrfForm, SignedIn};
use super::{AdminError, AdminLayout, Respond};
use crate::AppState;
use crate::error::Answer;
pub use crate::views::Picture;

/// A rendition file: `/media/<key>/<width>.<ext>`.
pub async fn serve_file(
    State(state): State<AppState>,
    Path((key, file)): Path<(String, String)>,
) -> Response {
    let key_ok = key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit());
    let (stem, ext) = file.split_once('.').unwrap_or(("", ""));
    let file_ok = !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit());
    let content_type = match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => "",
    };
    if !key_ok || !file_ok || content_type.is_empty() {
        return crate::WebError::NotFound.into_response();
    }
    match tokio::fs::read(state.media_dir.join(&key).join(&file)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => crate::WebError::NotFound.into_response(),
    }
}

struct LibraryItem {
    id: i64,
    picture: Picture,
}

#[derive(Template)]
#[template(path = "admin/media.html")]
struct MediaPage {
    layout: AdminLayout,
    items: Vec<LibraryItem>,
    errors: Vec<String>,
    added: Option<String>,
    alt: String,
    caption: String,
    credit: String,
    max_mb: usize,
}

async fn media_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    errors: Vec<String>,
    added: Option<String>,
    upload: &Upload,
) -> Result<Response, AdminError> {
    let items = state
        .store
        .images(0, 60)
        .await?
        .iter()
        .map(|i| LibraryItem {
            id: i.id.0,
            picture: Picture::new(i, 320),
        })
        .collect();
    MediaPage {
        layout: AdminLayout::new(state, "Images", Some(signed)).at("media"),
        items,
        errors,
        added,
        alt: upload.alt.clone(),
        caption: upload.caption.clone(),
        credit: upload.credit.clone(),
        max_mb: MAX_UPLOAD_BYTES / (1024 * 1024),
    }
    .respond(status)
}

pub async fn list_media(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::WriteOwnDrafts)?;
    media_page(
        &state,
        &signed,
        StatusCode::OK,
        vec![],
        None,
        &Upload::default(),
    )
    .await
}

fn too_large() -> AdminError {
    AdminError::TooLarge(format!(
        "The image is larger than {} MB. Nothing was uploaded.",
        MAX_UPLOAD_BYTES / (1024 * 1024)
    ))
}

pub async fn upload_media(
    State(state): State<AppState>,
    signed: SignedIn,
    mut form: Multipart,
) -> Result<Response, AdminError> {
    let mut upload = Upload::default();
    let mut csrf = String::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => {
                return Err(AdminError::BadRequest(format!(
                    "the upload could not be read ({e})"
                )));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => {
                return Err(AdminError::BadRequest(format!(
                    "the upload could not be read ({e})"
                )));
            }
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => csrf = text(),
            "alt" => upload.alt = text(),
            "caption" => upload.caption = text(),
            "credit" => upload.credit = text(),
            "file" => upload.bytes = bytes.to_vec(),
            _ => {}
        }
    }
    // The one form not read by `CsrfForm`: its token is somewhere in the multipart stream, so
    // it is checked here, once the stream is read and before anything is stored.
    signed.check_csrf(&csrf)?;
    signed.require(Action::WriteOwnDrafts)?;
    if upload.bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large());
    }
    let kept = Upload {
        bytes: Vec::new(),
        ..upload.clone()
    };
    let now = state.clock.now();
    match media::upload(
        state.store.as_ref(),
        &state.media_dir,
        &signed.user,
        upload,
        now,
    )
    .await
    {
        Ok(image) => {
            tracing::info!(user = %signed.user.id, image = %image.id, "image uploaded");
            let added = Some(format!(
                "Uploaded image {} ({} × {} pixels, {} sizes).",
                image.id,
                image.width,
                image.height,
                image.renditions.len()
            ));
            media_page(
                &state,
                &signed,
                StatusCode::OK,
                vec![],
                added,
                &Upload::default(),
            )
            .await
        }
        Err(ServiceError::Invalid(problems)) => {
            let unsupported = problems
                .iter()
                .any(|p| p.message.contains("not a JPEG, PNG or WebP"));
            let status = if unsupported {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let errors = problems.iter().map(ToString::to_string).collect();
            media_page(&state, &signed, status, errors, None, &kept).await
        }
        Err(e @ ServiceError::Busy { .. }) => {
            let answer = Answer::of(&e);
            let mut response = media_page(
                &state,
                &signed,
                answer.status,
                vec![e.to_string()],
                None,
                &kept,
            )
            .await?;
            answer.add_retry_after(&mut response);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct FeaturedForm {
    /// An image id, or empty to remove the featured image.
    #[serde(default)]
    image: String,
}

pub async fn set_featured(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(article): Path<ArticleId>,
    CsrfForm(form): CsrfForm<FeaturedForm>,
) -> Result<Response, AdminError> {
    let image = match form.image.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map(ImageId)
                .map_err(|_| AdminError::BadRequest(format!("'{raw}' is not an image")))?,
        ),
    };
    let store = state.store.as_ref();
    media::set_featured(store, &signed.user, article, image, state.clock.now()).await?;
    Ok(super::articles::done(article, "featured"))
}
