//! The HTTP client for Beacon's JSON API, speaking `beacon_shared::api`.

use beacon_shared::api::{ErrorBody, IncidentList, IncidentView, NewIncident};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

/// Why an API call failed, ready to show to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    pub message: String,
    pub field: Option<String>,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn network(err: gloo_net::Error) -> ApiFailure {
    ApiFailure {
        status: 0,
        message: format!("network error: {err}"),
        field: None,
    }
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    let status = response.status();
    if (200..300).contains(&status) {
        return response.json::<T>().await.map_err(network);
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiFailure {
            status,
            message: body.error.message,
            field: body.error.field,
        }),
        Err(_) => Err(ApiFailure {
            status,
            message: format!("request failed ({status})"),
            field: None,
        }),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `GET /api/incidents`
pub async fn list_incidents(token: &str) -> Result<IncidentList, ApiFailure> {
    let response = Request::get("/api/incidents")
        .header("authorization", &bearer(token))
        .send()
        .await
        .map_err(network)?;
    decode(response).await
}

/// `POST /api/incidents`
pub async fn create_incident(
    token: &str,
    incident: &NewIncident,
) -> Result<IncidentView, ApiFailure> {
    let response = Request::post("/api/incidents")
        .header("authorization", &bearer(token))
        .json(incident)
        .map_err(network)?
        .send()
        .await
        .map_err(network)?;
    decode(response).await
}
